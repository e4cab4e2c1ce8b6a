package io.turnstile.proxy.observe;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.StoreStats;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * The license store as metrics: the snapshot pulls are decided from (licenses, event cursor, age,
 * time its making took) and the database behind it (reachable, statements sent, and for a shared
 * PostgreSQL store the time since it last answered). Read from {@link LicenseStore#stats()} at
 * each scrape; nothing is counted on the request path.
 */
public final class StoreMetrics {
  private StoreMetrics() {}

  public static void bind(MeterRegistry registry, LicenseStore store, Clock clock) {
    Gauge.builder("turnstile.snapshot.licenses", store, s -> s.snapshot().licenses().size())
        .description("Licenses in the in-memory snapshot, revoked ones included").strongReference(true)
        .register(registry);
    Gauge.builder("turnstile.snapshot.cursor", store, s -> s.stats().cursor())
        .description("The last store event the snapshot reflects").strongReference(true).register(registry);
    Gauge.builder("turnstile.snapshot.age", store, s -> seconds(Duration.between(s.stats().snapshotAt(), clock.instant())))
        .description("Time since the snapshot last changed").baseUnit("seconds").strongReference(true)
        .register(registry);
    Gauge.builder("turnstile.snapshot.reload.duration", store, s -> seconds(s.stats().lastReload()))
        .description("How long making the current snapshot took").baseUnit("seconds").strongReference(true)
        .register(registry);
    Gauge.builder("turnstile.store.reachable", store, s -> s.stats().reachable() ? 1 : 0)
        .description("1 while the store's database answers; 0 while it is unreachable and writes are refused")
        .strongReference(true).register(registry);
    Gauge.builder("turnstile.store.snapshot.age", store, s -> staleness(s.stats(), clock))
        .description("How long ago the snapshot pulls are decided from was last known to hold every change in the"
            + " database: at most the poll interval while it answers, the outage's length while it does not")
        .baseUnit("seconds").strongReference(true).register(registry);
    FunctionCounter.builder("turnstile.store.statements", store, s -> s.stats().statementsExecuted())
        .description("SQL statements sent to the store's database").register(registry);
    if (store.stats().lastContact() != null) {
      Gauge.builder("turnstile.store.last.contact.age", store, s -> age(s.stats(), clock))
          .description("Time since the shared database last answered").baseUnit("seconds").strongReference(true)
          .register(registry);
    }
  }

  private static double age(StoreStats stats, Clock clock) {
    Instant last = stats.lastContact();
    return last == null ? Double.NaN : seconds(Duration.between(last, clock.instant()));
  }

  /**
   * A SQLite store is written by this process alone, so its snapshot is always current; a shared
   * one is current as of the change feed's last catch-up.
   */
  private static double staleness(StoreStats stats, Clock clock) {
    Instant last = stats.lastContact();
    return last == null ? 0 : Math.max(0, seconds(Duration.between(last, clock.instant())));
  }

  private static double seconds(Duration d) {
    return d == null ? Double.NaN : d.toNanos() / 1e9;
  }
}
