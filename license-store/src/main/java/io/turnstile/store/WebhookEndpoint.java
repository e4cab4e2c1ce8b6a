package io.turnstile.store;

import java.net.URI;
import java.time.Instant;
import java.util.List;

/**
 * A place the vendor's other systems receive webhooks. Its signing secret is not part of it: the
 * secret is answered once, when it is made or rotated ({@link IssuedWebhookSecret}).
 *
 * @param eventTypes the event types it receives; {@code ["*"]} for every type
 * @param failingSince when its current run of failures began; null while deliveries succeed
 * @param disabledReason why Turnstile disabled it, or null when it was not Turnstile
 */
public record WebhookEndpoint(String id, URI url, String description, List<String> eventTypes, boolean enabled,
    Instant createdAt, Instant updatedAt, Instant failingSince, String disabledReason) {
  public WebhookEndpoint {
    eventTypes = List.copyOf(eventTypes);
  }

  /** Whether it receives events of {@code type}; a test event is always received. */
  public boolean wants(String type) {
    return type.equals(WebhookEvent.TEST) || eventTypes.contains("*") || eventTypes.contains(type);
  }
}
