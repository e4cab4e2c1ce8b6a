package io.turnstile.proxy.observe;

import io.turnstile.store.LicenseStore;
import io.turnstile.store.StoreStats;
import java.time.Instant;

/**
 * Whether Turnstile is alive and ready to serve pulls, for {@code /healthz} and {@code /readyz}.
 * Alive is answering at all. Ready is: both listeners up, the license snapshot loaded, the store's
 * database reachable at its last look ({@link StoreStats#reachable()}, always so for SQLite), and
 * not stopping. Thread-safe.
 */
public final class Health {
  private final LicenseStore store;
  private volatile boolean started;
  private volatile boolean stopping;

  public Health(LicenseStore store) {
    this.store = store;
  }

  /** Both listeners are up. */
  public void started() {
    started = true;
  }

  /** A stop began: not ready from now on, and public connections close once their answer is written. */
  public void stopping() {
    stopping = true;
  }

  public boolean isStopping() {
    return stopping;
  }

  /** What readiness is made of, at this moment. */
  public Readiness readiness() {
    StoreStats stats = store.stats();
    return new Readiness(started, store.snapshot() != null, stats.reachable(), stats.lastContact(), stopping);
  }

  /**
   * @param listening both listeners are up
   * @param snapshotLoaded the license snapshot is in memory
   * @param storeReachable the store's database answered its last look
   * @param lastContact when it last answered; null for SQLite
   * @param stopping a stop began
   */
  public record Readiness(boolean listening, boolean snapshotLoaded, boolean storeReachable, Instant lastContact,
      boolean stopping) {
    public boolean ready() {
      return listening && snapshotLoaded && storeReachable && !stopping;
    }
  }
}
