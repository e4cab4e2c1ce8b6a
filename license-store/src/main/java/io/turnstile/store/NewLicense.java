package io.turnstile.store;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What a license is created with. {@code expiresAt} and {@code upstreamCredentials} may be null;
 * {@code versions} and {@code ranges} null mean none.
 *
 * @param versions exact versions granted
 * @param ranges ranges granted ({@code *} for every version)
 * @param keepReleasedBeforeExpiry whether the license, once expired, goes on granting what
 *     Turnstile saw before its expiry; default false
 * @param entitlements values for the application's entitlement fields, by name, as text of each
 *     field's type ({@code "25"}, {@code "true"}, {@code "2027-01-31"}); null means none
 */
public record NewLicense(
    String name,
    CustomerId customerId,
    String application,
    Instant expiresAt,
    List<String> versions,
    List<RangeGrant> ranges,
    boolean keepReleasedBeforeExpiry,
    UpstreamCredentials upstreamCredentials,
    Map<String, String> entitlements) {

  /** A license that sets no entitlement value. */
  public NewLicense(String name, CustomerId customerId, String application, Instant expiresAt, List<String> versions,
      List<RangeGrant> ranges, boolean keepReleasedBeforeExpiry, UpstreamCredentials upstreamCredentials) {
    this(name, customerId, application, expiresAt, versions, ranges, keepReleasedBeforeExpiry, upstreamCredentials,
        null);
  }

  /** A license of exact versions, not kept after expiry. */
  public NewLicense(String name, CustomerId customerId, String application, Instant expiresAt, List<String> versions,
      UpstreamCredentials upstreamCredentials) {
    this(name, customerId, application, expiresAt, versions, List.of(), false, upstreamCredentials);
  }
}
