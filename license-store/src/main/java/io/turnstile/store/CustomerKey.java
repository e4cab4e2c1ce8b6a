package io.turnstile.store;

import java.time.Instant;

/** A customer-level login key, without its secret. */
public record CustomerKey(String id, CustomerId customerId, Instant createdAt) {}
