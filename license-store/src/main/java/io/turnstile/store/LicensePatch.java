package io.turnstile.store;

import java.time.Instant;
import java.util.Objects;

/**
 * A partial update of a license: each field is kept, set or cleared. A name cannot be cleared;
 * clearing the expiry makes the license never expire, clearing the upstream credentials makes it
 * pull with the upstream's own.
 */
public record LicensePatch(
    Change<String> name,
    Change<Instant> expiresAt,
    Change<UpstreamCredentials> upstreamCredentials) {
  public LicensePatch {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(expiresAt, "expiresAt");
    Objects.requireNonNull(upstreamCredentials, "upstreamCredentials");
  }

  /** A patch that changes nothing; start from it with the {@code with...} methods. */
  public static LicensePatch none() {
    return new LicensePatch(Change.keep(), Change.keep(), Change.keep());
  }

  public LicensePatch withName(Change<String> change) {
    return new LicensePatch(change, expiresAt, upstreamCredentials);
  }

  public LicensePatch withExpiresAt(Change<Instant> change) {
    return new LicensePatch(name, change, upstreamCredentials);
  }

  public LicensePatch withUpstreamCredentials(Change<UpstreamCredentials> change) {
    return new LicensePatch(name, expiresAt, change);
  }
}
