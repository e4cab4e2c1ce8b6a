package io.turnstile.store;

import java.net.URI;
import java.time.Instant;

/**
 * A delivery this replica holds the lease of and should attempt now. It carries the endpoint's
 * secret so it can be signed: it must never be logged or answered.
 *
 * @param attempts attempts made before this one
 * @param leaseUntil when the lease ends; the outcome is recorded only while it holds
 */
public record DueDelivery(String id, String endpointId, URI url, String secret, String eventId, String eventType,
    String payload, int attempts, Instant createdAt, Instant leaseUntil) {
  @Override
  public String toString() {
    return "DueDelivery[" + id + " of " + eventId + " to " + endpointId + ", attempt " + (attempts + 1) + "]";
  }
}
