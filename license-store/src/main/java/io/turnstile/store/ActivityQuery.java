package io.turnstile.store;

import java.time.Instant;

/**
 * Which vendor actions to read, newest first. Every filter is optional (null: any).
 *
 * @param actor exactly as recorded ({@link ActivityRecord#actor()})
 * @param since actions at or after this time
 * @param until actions before this time
 * @param limit most records in one page, 1 to {@link #MAX_LIMIT}
 * @param cursor where the previous page ended ({@link ActivityPage#next()}), or null for the first
 */
public record ActivityQuery(String actor, CustomerId customerId, LicenseId licenseId, Instant since, Instant until,
    int limit, String cursor) {
  public static final int MAX_LIMIT = 1000;

  public ActivityQuery {
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new InvalidInputException("limit", "must be between 1 and " + MAX_LIMIT);
    }
  }

  /** The same query from {@code next} on. */
  public ActivityQuery after(String next) {
    return new ActivityQuery(actor, customerId, licenseId, since, until, limit, next);
  }
}
