package io.turnstile.store;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Fair-use counts and per-license limits, kept in the store's database and shared by every replica.
 * Each replica counts in memory and adds what it counted here in batches; the totals read back are
 * what all replicas counted together. Blocking: call off the event loops.
 */
public interface Usage {
  /** One counter: a license's use of one limit in one period ({@code 2026-12-07} or {@code 2026-12}). */
  record Key(LicenseId license, UsageLimit limit, String period) {}

  /** A client address a license was used from on {@code day}, with the user agent it sent first. */
  record Address(LicenseId license, String day, String address, String userAgent, Instant firstAt) {}

  /** A license's own limit, overriding its application's. */
  record LimitOverride(LicenseId license, UsageLimit limit, long amount, boolean enforced, Instant updatedAt) {}

  /**
   * Adds {@code deltas} to the shared counters and records {@code addresses} not recorded yet, in
   * one transaction; counters of unknown licenses are dropped. A delta of zero only asks for the
   * total; an {@link UsageLimit#ADDRESSES} counter is the number of addresses recorded, whatever its
   * delta.
   *
   * @return the totals after the addition, of every counter in {@code deltas} and of the addresses
   *     counter of each license and day in {@code addresses}
   */
  Map<Key, Long> add(Map<Key, Long> deltas, Collection<Address> addresses);

  /** The totals of these counters, zero for one never counted. */
  Map<Key, Long> totals(Collection<Key> keys);

  /** The addresses {@code license} was used from on {@code day}, first seen first. */
  List<Address> addresses(LicenseId license, String day);

  /** How many distinct addresses each license was used from on {@code day}. */
  Map<LicenseId, Long> addressCounts(String day);

  /** Every license's own limits. */
  List<LimitOverride> overrides();

  /**
   * Sets a license's own limit, recorded in the activity log as {@code license.limit_set}.
   *
   * @throws NoSuchLicenseException when there is no such license
   * @throws InvalidInputException when {@code amount} is below 1
   */
  LimitOverride setOverride(LicenseId license, UsageLimit limit, long amount, boolean enforced, String actor);

  /**
   * Removes a license's own limit (its application's applies again).
   *
   * @return whether there was one
   */
  boolean clearOverride(LicenseId license, UsageLimit limit, String actor);
}
