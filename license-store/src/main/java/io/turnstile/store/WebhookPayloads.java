package io.turnstile.store;

/**
 * Turns an event into the JSON body its webhooks carry. It runs inside the transaction of the change,
 * so the payload shows the object exactly as that change left it: it must be quick and must not
 * touch the store.
 */
@FunctionalInterface
public interface WebhookPayloads {
  String render(WebhookEvent event);
}
