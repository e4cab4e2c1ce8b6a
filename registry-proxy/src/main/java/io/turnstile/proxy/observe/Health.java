package io.turnstile.proxy.observe;

import io.turnstile.store.LicenseStore;
import io.turnstile.store.StoreStats;
import java.time.Instant;

/**
 * Whether Turnstile is alive and ready to serve pulls, for {@code /healthz} and {@code /readyz}.
 * Alive is answering at all. Ready is: both listeners up, the license snapshot loaded, and not
 * stopping. Whether the store's database answered its last look ({@link StoreStats#reachable()}) is
 * reported in the detail but does not make a replica unready: pulls are answered from the snapshot
 * while the database is down, and every replica would turn unready at once, leaving a load balancer
 * nothing to send pulls to. Thread-safe.
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
      return listening && snapshotLoaded && !stopping;
    }
  }
}
