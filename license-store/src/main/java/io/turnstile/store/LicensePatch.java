package io.turnstile.store;

import java.time.Instant;
import java.util.Optional;

/**
 * A partial update of a license. A null field is left alone; {@code Optional.empty()} clears an
 * optional value (no expiry, no own upstream credentials).
 */
public record LicensePatch(
    String name,
    Optional<Instant> expiresAt,
    Optional<UpstreamCredentials> upstreamCredentials) {}
