package io.turnstile.store.testing;

import io.turnstile.store.LicenseStore;
import io.turnstile.store.StoreStats;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;

/**
 * Waits for what happens elsewhere: on another thread, in another replica, after an answer has been
 * sent. A check of such an outcome polls for it until a generous deadline, so a slow or busy
 * machine changes only how long a passing test takes, never whether it passes. Where the delay
 * itself is a promise (an edit enforced by every replica within a second), {@link #within} waits
 * just as patiently, then requires the delay it measured to be under the promised one, and says
 * the figure when it is not.
 */
public final class Eventually {
  /** How long a wait goes on before it fails: far beyond any delay a test expects. */
  public static final Duration PATIENCE = Duration.ofSeconds(30);

  private Eventually() {}

  /**
   * Polls {@code condition} until it holds, for at most {@link #PATIENCE}; fails naming {@code what}.
   *
   * @return the wall-clock time just after the look that saw it hold
   */
  public static Instant until(String what, Callable<Boolean> condition) throws Exception {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (true) {
      boolean holds = condition.call();
      if (holds) {
        return Instant.now();
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("waited " + PATIENCE.toSeconds() + " s for " + what);
      }
      Thread.sleep(10);
    }
  }

  /**
   * Polls {@code condition} as {@link #until} does, then requires it to have held less than {@code
   * bound} after {@code madeAt}, the wall-clock time the change that should make it hold was made.
   *
   * @return the delay measured
   */
  public static Duration within(Duration bound, Instant madeAt, String what, Callable<Boolean> condition)
      throws Exception {
    Duration took = Duration.between(madeAt, until(what, condition));
    System.out.printf("%s: %d ms after the change%n", what, took.toMillis());
    if (took.compareTo(bound) >= 0) {
      throw new AssertionError(what + " took " + took.toMillis() + " ms after the change, not under "
          + bound.toMillis() + " ms");
    }
    return took;
  }

  /**
   * When {@code store} committed its latest write, by its clock (the system clock in tests): the
   * moment a change made through it exists for the other replicas. A store brings its snapshot up
   * to date right after each commit, so that is when its current snapshot began to be made. Read it
   * just after the write returns, before anything else writes.
   */
  public static Instant committedAt(LicenseStore store) {
    StoreStats stats = store.stats();
    return stats.snapshotAt().minus(stats.lastReload());
  }
}
