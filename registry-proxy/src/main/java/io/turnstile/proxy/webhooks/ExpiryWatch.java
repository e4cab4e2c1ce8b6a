package io.turnstile.proxy.webhooks;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.turnstile.store.License;
import io.turnstile.store.LicenseStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warns before licenses expire: {@code license.expiring} 30, 7 and 1 days before, and {@code
 * license.expired} when it happens. Every {@code webhooks.expiryCheck} it reads the snapshot (no
 * database) and, for a license that crossed a threshold it has not recorded, asks the store to
 * record it and queue the event in one transaction; the store's unique row per license, expiry and
 * threshold makes it once whichever replica asks first, and across restarts. Only the nearest
 * threshold crossed is sent: a license made to expire in 6 days is warned at 7, not at 30 too. A
 * license that expired more than a day before it was first looked at is not announced. Changing a
 * license's expiry starts its warnings afresh. Runs only while some endpoint is enabled.
 */
public final class ExpiryWatch implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ExpiryWatch.class);
  /** Days before expiry that are announced, largest first; 0 is the expiry itself. */
  static final List<Integer> THRESHOLDS = List.of(30, 7, 1, 0);

  private final LicenseStore store;
  private final Clock clock;
  private final ScheduledExecutorService timer;
  /** Thresholds known to be recorded, by license and expiry: the store is asked only about the rest. */
  private final Set<String> known = ConcurrentHashMap.newKeySet();

  private final Counter passes;

  /** A watch that checks only when {@link #check} is called, until {@link #start}. */
  public ExpiryWatch(LicenseStore store, Clock clock, MeterRegistry meters) {
    this.store = store;
    this.clock = clock;
    this.passes = Counter.builder("turnstile_webhook_expiry_checks")
        .description("Passes of the expiry watch over the licenses").register(meters);
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "turnstile-expiry-watch");
      t.setDaemon(true);
      return t;
    });
  }

  /** Checks now and then every {@code every}, on a thread of its own. */
  public ExpiryWatch start(Duration every) {
    timer.scheduleWithFixedDelay(this::checkSafely, 0, every.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  private void checkSafely() {
    try {
      check();
      passes.increment();
    } catch (RuntimeException e) {
      log.warn("cannot check licenses for expiry warnings: {}", e.getMessage());
    }
  }

  /** One pass over the snapshot; returns how many events it queued. Blocking. */
  public int check() {
    if (!store.webhooks().active()) {
      return 0;
    }
    Instant now = clock.instant();
    int queued = 0;
    for (License l : store.snapshot().licenses()) {
      Instant expires = l.expiresAt();
      if (expires == null || l.revokedAt() != null || now.isAfter(expires.plus(Duration.ofDays(1)))) {
        continue;
      }
      List<Integer> crossed = new ArrayList<>();
      for (int days : THRESHOLDS) {
        if (!now.isBefore(expires.minus(Duration.ofDays(days)))) {
          crossed.add(days);
        }
      }
      if (crossed.isEmpty()) {
        continue;
      }
      String key = l.id().value() + "@" + expires.toEpochMilli();
      int nearest = crossed.get(crossed.size() - 1);
      if (known.contains(key + "/" + nearest)) {
        continue;
      }
      List<Integer> recorded = store.webhooks().expiryNotices(l.id(), expires);
      if (!recorded.contains(nearest)) {
        List<Integer> others = crossed.subList(0, crossed.size() - 1).stream()
            .filter(d -> !recorded.contains(d)).toList();
        if (store.webhooks().noticeExpiry(l.id(), expires, nearest, others)) {
          queued++;
        }
      }
      crossed.forEach(d -> known.add(key + "/" + d));
    }
    return queued;
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
