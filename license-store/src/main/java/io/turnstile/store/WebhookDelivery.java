package io.turnstile.store;

import java.time.Duration;
import java.time.Instant;

/**
 * One event's delivery to one endpoint, as the vendor sees it.
 *
 * @param state {@code pending}, {@code delivered} or {@code failed} (given up)
 * @param lastStatus the HTTP status of the last attempt, or null when it got none
 * @param lastDuration how long the last attempt took, or null before the first
 * @param lastError why the last attempt failed, or null
 */
public record WebhookDelivery(String id, String endpointId, String eventId, String eventType, String state,
    int attempts, Instant createdAt, Instant nextAttemptAt, Instant lastAttemptAt, Integer lastStatus,
    Duration lastDuration, String lastError) {}
