package io.turnstile.store;

import java.time.Instant;
import java.util.Objects;

/**
 * A partial update of a license: each field is kept, set or cleared. A name cannot be cleared;
 * clearing the expiry makes the license never expire, clearing the upstream credentials makes it
 * pull with the upstream's own; clearing {@code keepReleasedBeforeExpiry} sets it to false.
 */
public record LicensePatch(
    Change<String> name,
    Change<Instant> expiresAt,
    Change<UpstreamCredentials> upstreamCredentials,
    Change<Boolean> keepReleasedBeforeExpiry) {
  public LicensePatch {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(expiresAt, "expiresAt");
    Objects.requireNonNull(upstreamCredentials, "upstreamCredentials");
    Objects.requireNonNull(keepReleasedBeforeExpiry, "keepReleasedBeforeExpiry");
  }

  /** A patch that leaves {@code keepReleasedBeforeExpiry} as it is. */
  public LicensePatch(Change<String> name, Change<Instant> expiresAt, Change<UpstreamCredentials> upstreamCredentials) {
    this(name, expiresAt, upstreamCredentials, Change.keep());
  }

  /** A patch that changes nothing; start from it with the {@code with...} methods. */
  public static LicensePatch none() {
    return new LicensePatch(Change.keep(), Change.keep(), Change.keep(), Change.keep());
  }

  public LicensePatch withName(Change<String> change) {
    return new LicensePatch(change, expiresAt, upstreamCredentials, keepReleasedBeforeExpiry);
  }

  public LicensePatch withExpiresAt(Change<Instant> change) {
    return new LicensePatch(name, change, upstreamCredentials, keepReleasedBeforeExpiry);
  }

  public LicensePatch withUpstreamCredentials(Change<UpstreamCredentials> change) {
    return new LicensePatch(name, expiresAt, change, keepReleasedBeforeExpiry);
  }

  public LicensePatch withKeepReleasedBeforeExpiry(Change<Boolean> change) {
    return new LicensePatch(name, expiresAt, upstreamCredentials, change);
  }
}
