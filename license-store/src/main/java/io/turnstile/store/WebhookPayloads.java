package io.turnstile.store;

/**
 * Turns an event into the JSON body its webhooks carry. It runs after the change committed, on the
 * delivery poller's thread, inside the transaction that adds the event's deliveries; the event holds
 * the license and customer as the change left them, so it must not touch the store. Should it throw,
 * the event is sent naming only its subject's id.
 */
@FunctionalInterface
public interface WebhookPayloads {
  String render(WebhookEvent event);
}
