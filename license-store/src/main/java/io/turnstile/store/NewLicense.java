package io.turnstile.store;

import java.time.Instant;
import java.util.List;

/** What a license is created with. {@code expiresAt} and {@code upstreamCredentials} may be null. */
public record NewLicense(
    String name,
    CustomerId customerId,
    String application,
    Instant expiresAt,
    List<String> versions,
    UpstreamCredentials upstreamCredentials) {}
