package io.turnstile.store;

import java.time.Instant;

/**
 * Which pull records to read, newest first. Every filter is optional (null: any).
 *
 * @param since records at or after this time
 * @param until records before this time
 * @param limit most records in one page, 1 to {@link #MAX_LIMIT}
 * @param cursor where the previous page ended ({@link PullPage#next()}), or null for the first page
 */
public record PullQuery(LicenseId licenseId, CustomerId customerId, String application, Instant since,
    Instant until, int limit, String cursor) {
  public static final int MAX_LIMIT = 1000;

  public PullQuery {
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new InvalidInputException("limit", "must be between 1 and " + MAX_LIMIT);
    }
  }

  /** Every record, {@code limit} at a time. */
  public static PullQuery all(int limit) {
    return new PullQuery(null, null, null, null, null, limit, null);
  }

  /** The same query from {@code next} on. */
  public PullQuery after(String next) {
    return new PullQuery(licenseId, customerId, application, since, until, limit, next);
  }
}
