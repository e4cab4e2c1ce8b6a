package io.turnstile.config;

/**
 * The fair-use limits every license of an application has unless the license overrides one. A
 * limit left out is no limit. Days and months are UTC calendar days and months.
 *
 * @param manifestPullsPerDay manifest GETs answered 200 per day (a multi-platform pull is two: the
 *     index and the platform's manifest)
 * @param blobBytesPerMonth blob bytes sent per calendar month
 * @param addressesPerDay distinct client addresses per day; in watch mode, the signal of a shared key
 */
public record LimitsConfig(LimitConfig manifestPullsPerDay, LimitConfig blobBytesPerMonth,
    LimitConfig addressesPerDay) {
  /** No limits. */
  public static LimitsConfig none() {
    return new LimitsConfig(null, null, null);
  }
}
