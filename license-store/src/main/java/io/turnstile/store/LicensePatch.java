package io.turnstile.store;

import java.time.Instant;
import java.util.Map;
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
    Change<Boolean> keepReleasedBeforeExpiry,
    Change<Map<String, String>> entitlements) {
  public LicensePatch {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(expiresAt, "expiresAt");
    Objects.requireNonNull(upstreamCredentials, "upstreamCredentials");
    Objects.requireNonNull(keepReleasedBeforeExpiry, "keepReleasedBeforeExpiry");
    Objects.requireNonNull(entitlements, "entitlements");
  }

  /** A patch that leaves the entitlements as they are. */
  public LicensePatch(Change<String> name, Change<Instant> expiresAt, Change<UpstreamCredentials> upstreamCredentials,
      Change<Boolean> keepReleasedBeforeExpiry) {
    this(name, expiresAt, upstreamCredentials, keepReleasedBeforeExpiry, Change.keep());
  }

  /** A patch that leaves {@code keepReleasedBeforeExpiry} as it is. */
  public LicensePatch(Change<String> name, Change<Instant> expiresAt, Change<UpstreamCredentials> upstreamCredentials) {
    this(name, expiresAt, upstreamCredentials, Change.keep());
  }

  /** A patch that changes nothing; start from it with the {@code with...} methods. */
  public static LicensePatch none() {
    return new LicensePatch(Change.keep(), Change.keep(), Change.keep(), Change.keep(), Change.keep());
  }

  public LicensePatch withName(Change<String> change) {
    return new LicensePatch(change, expiresAt, upstreamCredentials, keepReleasedBeforeExpiry, entitlements);
  }

  public LicensePatch withExpiresAt(Change<Instant> change) {
    return new LicensePatch(name, change, upstreamCredentials, keepReleasedBeforeExpiry, entitlements);
  }

  public LicensePatch withUpstreamCredentials(Change<UpstreamCredentials> change) {
    return new LicensePatch(name, expiresAt, change, keepReleasedBeforeExpiry, entitlements);
  }

  public LicensePatch withKeepReleasedBeforeExpiry(Change<Boolean> change) {
    return new LicensePatch(name, expiresAt, upstreamCredentials, change, entitlements);
  }

  /**
   * A patch setting the entitlement values named in {@code values} (a null value: back to the
   * default), keeping the others.
   */
  public LicensePatch withEntitlements(Map<String, String> values) {
    return new LicensePatch(name, expiresAt, upstreamCredentials, keepReleasedBeforeExpiry, Change.set(values));
  }
}
