package io.turnstile.store;

import java.time.Instant;
import java.util.List;

/**
 * What a license is created with. {@code expiresAt} and {@code upstreamCredentials} may be null;
 * {@code versions} and {@code ranges} null mean none.
 *
 * @param versions exact versions granted
 * @param ranges ranges granted ({@code *} for every version)
 * @param keepReleasedBeforeExpiry whether the license, once expired, goes on granting what
 *     Turnstile saw before its expiry; default false
 */
public record NewLicense(
    String name,
    CustomerId customerId,
    String application,
    Instant expiresAt,
    List<String> versions,
    List<RangeGrant> ranges,
    boolean keepReleasedBeforeExpiry,
    UpstreamCredentials upstreamCredentials) {

  /** A license of exact versions, not kept after expiry. */
  public NewLicense(String name, CustomerId customerId, String application, Instant expiresAt, List<String> versions,
      UpstreamCredentials upstreamCredentials) {
    this(name, customerId, application, expiresAt, versions, List.of(), false, upstreamCredentials);
  }
}
