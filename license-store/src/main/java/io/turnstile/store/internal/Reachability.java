package io.turnstile.store.internal;

import io.turnstile.store.StoreUnavailableException;
import java.time.Instant;

/**
 * Whether the store's database answers, as this process last found: told by the change feed,
 * which tries to reach it at least every {@link ChangeFeed#MAX_BACKOFF_MS} ms while it does not,
 * by every statement that fails for a lost connection, and by every one that succeeds. Writes ask
 * it first, so that during an outage they are refused at once instead of each waiting for the pool
 * to give up.
 */
final class Reachability {
  /** How long a failure to reach the database refuses writes without waiting for the pool. */
  private static final long REFUSAL_WINDOW_NANOS = 1_000_000_000L;

  /** Since when the database is known to be unreachable; null while it answers. */
  private volatile Instant unreachableSince;
  /** When the database last failed to answer, by {@link System#nanoTime}. */
  private volatile long lastFailureNanos;

  /** Since when the database is known to be unreachable, or null while it answers. */
  Instant unreachableSince() {
    return unreachableSince;
  }

  /** Records that the database answered. */
  void answered() {
    if (unreachableSince != null) {
      unreachableSince = null;
    }
  }

  /** Records that the database did not answer, keeping the time of the first failure. */
  void failed(Instant now) {
    lastFailureNanos = System.nanoTime();
    if (unreachableSince == null) {
      unreachableSince = now;
    }
  }

  /**
   * Refuses a write at once while the database is known to be unreachable and failed within the
   * last second. One lost connection alone (a killed backend) thus refuses writes for at most that
   * second, unless the change feed, which tries again meanwhile, confirms the outage.
   */
  void refuseIfUnreachable() {
    Instant since = unreachableSince;
    if (since != null && System.nanoTime() - lastFailureNanos < REFUSAL_WINDOW_NANOS) {
      throw new StoreUnavailableException("the license store's database has been unreachable since " + since
          + "; nothing was written", null);
    }
  }
}
