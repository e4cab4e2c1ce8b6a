package io.turnstile.store;

import java.time.Instant;

/** A vendor's customer. */
public record Customer(CustomerId id, String name, Instant createdAt) {}
