package io.turnstile.proxy.limits;

import io.micrometer.core.instrument.MeterRegistry;
import io.turnstile.proxy.oci.Denial;
import io.turnstile.proxy.oci.RegistryError;
import io.turnstile.proxy.oci.RegistryException;
import io.turnstile.store.License;
import io.turnstile.store.StoreException;
import io.turnstile.store.Usage;
import io.turnstile.store.UsageLimit;
import io.turnstile.store.Webhooks;
import java.net.InetAddress;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts each license's use against its fair-use limits ({@link LimitRules}) and refuses what an
 * enforced limit no longer allows. The request path only reads and adds to counters in memory;
 * every {@link #FLUSH_EVERY} a thread of its own adds what this replica counted to the store as
 * deltas and reads back the totals all replicas counted together ({@link Usage#add}). While the
 * store cannot be reached the counts stay here, still counted and still enforced against the last
 * totals read, and go in with the first flush that succeeds.
 *
 * <p>Overshoot: a replica learns of the other replicas' use only at its flushes, so a limit can be
 * passed by at most what all replicas let through in one flush interval (plus a flush's own
 * duration): {@code FLUSH_EVERY × the sum of the replicas' rates} for that license. Use is counted
 * only for a limit the license has; a limit set in the middle of a period counts from then.
 *
 * <p>A refusal comes only before a request is served: a blob already being sent when the limit is
 * reached is sent whole.
 */
public final class UsageMeter implements AutoCloseable {
  /** How often counts go to the store and totals come back. */
  public static final Duration FLUSH_EVERY = Duration.ofSeconds(1);
  private static final Logger log = LoggerFactory.getLogger(UsageMeter.class);

  private final Usage store;
  private final Webhooks webhooks;
  private final LimitRules rules;
  private final Periods periods;
  private final LimitMetrics metrics;
  private final Map<Usage.Key, Count> counts = new ConcurrentHashMap<>();
  /** The addresses known per license and day (as {@link UsageLimit#ADDRESSES} keys), flushed or not. */
  private final Map<Usage.Key, Set<String>> known = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<Usage.Address> newAddresses = new ConcurrentLinkedQueue<>();
  private final Set<Notice> noticed = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService flusher;
  private volatile boolean failing;

  /** A notice already queued (or found queued) by this replica. */
  private record Notice(Usage.Key key, boolean reached) {}

  /** One counter: the totals last read from the store, plus what this replica counted since. */
  private static final class Count {
    final License license;
    final AtomicLong pending = new AtomicLong();
    final AtomicLong flushing = new AtomicLong();
    volatile long shared;

    Count(License license) {
      this.license = license;
    }

    long used() {
      // Read in this order, a flush that moves counts from pending to shared is never missed: at
      // worst a count is seen twice for a moment, which errs towards refusing.
      long p = pending.get();
      long f = flushing.get();
      return shared + f + p;
    }
  }

  /**
   * @param webhooks where {@code license.limit_warning} and {@code license.limit_reached} go; null
   *     for none
   * @param meters where the per-application metrics go; null for none
   * @param flush whether to flush on a thread of its own every {@link #FLUSH_EVERY} (else only
   *     {@link #flush()} does)
   */
  public UsageMeter(Usage store, Webhooks webhooks, LimitRules rules, Periods periods, MeterRegistry meters,
      boolean flush) {
    this.store = store;
    this.webhooks = webhooks;
    this.rules = rules;
    this.periods = periods;
    this.metrics = new LimitMetrics(meters);
    try {
      rules.overrides(store.overrides());
    } catch (StoreException e) {
      log.warn("fair-use limits: the licenses' own limits cannot be read yet ({}); read at the next flush",
          e.getMessage());
    }
    if (flush) {
      this.flusher = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "turnstile-usage-flush");
        t.setDaemon(true);
        return t;
      });
      flusher.scheduleWithFixedDelay(this::flushQuietly, FLUSH_EVERY.toMillis(), FLUSH_EVERY.toMillis(),
          TimeUnit.MILLISECONDS);
    } else {
      this.flusher = null;
    }
  }

  /** The limits this meter applies. */
  public LimitRules rules() {
    return rules;
  }

  /** The periods this meter counts in. */
  public Periods periods() {
    return periods;
  }

  /**
   * Checks a pull request of {@code license} before it is served and notes its client address for
   * a limit on addresses. Never blocks.
   *
   * @param manifest a manifest GET (else a blob GET)
   * @throws RegistryException {@code TOOMANYREQUESTS} with {@code Retry-After} when an enforced
   *     limit is used up
   */
  public void check(License license, boolean manifest, InetAddress client, String userAgent)
      throws RegistryException {
    List<LimitRules.Rule> rs = rules.rules(license);
    if (rs.isEmpty()) {
      return;
    }
    for (LimitRules.Rule r : rs) {
      switch (r.limit()) {
        case MANIFEST_PULLS -> {
          if (manifest) {
            over(license, r, count(license, r.limit()).used() >= r.amount());
          }
        }
        case BLOB_BYTES -> over(license, r, count(license, r.limit()).used() >= r.amount());
        case ADDRESSES -> address(license, r, client, userAgent);
        default -> { }
      }
    }
  }

  private void address(License license, LimitRules.Rule r, InetAddress client, String userAgent)
      throws RegistryException {
    if (client == null) {
      return;
    }
    Usage.Key k = key(license, UsageLimit.ADDRESSES);
    Set<String> seen = known.computeIfAbsent(k, x -> ConcurrentHashMap.newKeySet());
    String a = client.getHostAddress();
    if (seen.contains(a)) {
      return;
    }
    Count c = count(license, k);
    // Only an address new today is refused: one already counted goes on working.
    over(license, r, c.used() >= r.amount());
    if (seen.add(a)) {
      c.pending.incrementAndGet();
      newAddresses.add(new Usage.Address(license.id(), k.period(), a, userAgent, periods.now()));
    }
  }

  private void over(License license, LimitRules.Rule r, boolean reached) throws RegistryException {
    if (!reached) {
      return;
    }
    metrics.over(license.application(), r.limit(), r.enforced());
    if (r.enforced()) {
      throw new RegistryException(RegistryError.TOO_MANY_REQUESTS, LimitText.refusal(license, r, periods))
          .withHeader("Retry-After", Long.toString(periods.secondsToReset(r.limit())))
          .deniedFor(Denial.LIMIT_REACHED);
    }
  }

  /** Counts a manifest GET of {@code license} answered 200. */
  public void manifestPulled(License license) {
    add(license, UsageLimit.MANIFEST_PULLS, 1);
  }

  /** Counts {@code bytes} of a blob sent for {@code license}. */
  public void blobBytes(License license, long bytes) {
    add(license, UsageLimit.BLOB_BYTES, bytes);
  }

  private void add(License license, UsageLimit limit, long n) {
    if (n > 0 && rules.rule(license, limit) != null) {
      count(license, limit).pending.addAndGet(n);
    }
  }

  private Usage.Key key(License license, UsageLimit limit) {
    return new Usage.Key(license.id(), limit, periods.current(limit));
  }

  private Count count(License license, UsageLimit limit) {
    return count(license, key(license, limit));
  }

  private Count count(License license, Usage.Key k) {
    return counts.computeIfAbsent(k, x -> new Count(license));
  }

  /** One use of a limit in force, for the console, the portal and the admin API. */
  public record Use(LimitRules.Rule rule, String period, long used, LocalDate resetsOn) {}

  /**
   * The use of each limit in force for {@code license} in the current periods: what the store holds
   * plus what this replica has not flushed yet. Blocking (reads the store).
   */
  public List<Use> uses(License license) {
    List<LimitRules.Rule> rs = rules.rules(license);
    List<Usage.Key> keys = rs.stream().map(r -> key(license, r.limit())).toList();
    Map<Usage.Key, Long> stored = keys.isEmpty() ? Map.of() : store.totals(keys);
    List<Use> out = new ArrayList<>();
    for (int i = 0; i < rs.size(); i++) {
      Usage.Key k = keys.get(i);
      Count c = counts.get(k);
      long local = c == null ? 0 : c.pending.get() + c.flushing.get();
      long used = Math.max(stored.getOrDefault(k, 0L) + local, c == null ? 0 : c.used());
      out.add(new Use(rs.get(i), k.period(), used, periods.resetsOn(rs.get(i).limit())));
    }
    return out;
  }

  /** Whether the last flush failed (the store could not be reached): counts are waiting here. */
  public boolean failing() {
    return failing;
  }

  /**
   * Adds what this replica counted to the store, reads back the totals, queues the notices they
   * call for and forgets past periods. A failed flush keeps its counts for the next one.
   *
   * @throws StoreException when the store cannot be reached
   */
  public synchronized void flush() {
    rules.overrides(store.overrides());
    Map<Usage.Key, Long> taken = new HashMap<>();
    for (Map.Entry<Usage.Key, Count> e : counts.entrySet()) {
      long d = e.getValue().pending.getAndSet(0);
      e.getValue().flushing.addAndGet(d);
      taken.put(e.getKey(), d);
    }
    List<Usage.Address> addresses = new ArrayList<>();
    for (Usage.Address a; (a = newAddresses.poll()) != null; ) {
      addresses.add(a);
    }
    Map<Usage.Key, Long> totals;
    try {
      totals = store.add(taken, addresses);
    } catch (RuntimeException e) {
      taken.forEach((k, d) -> {
        Count c = counts.get(k);
        c.pending.addAndGet(d);
        c.flushing.addAndGet(-d);
      });
      newAddresses.addAll(addresses);
      failing = true;
      throw e;
    }
    failing = false;
    taken.forEach((k, d) -> {
      Count c = counts.get(k);
      Long total = totals.get(k);
      if (total != null) {
        c.shared = total;
      }
      c.flushing.addAndGet(-d);
    });
    learnAddresses(totals);
    notices(totals);
    forgetPastPeriods();
  }

  /**
   * For a license whose addresses today reached an enforced limit, learns the addresses the other
   * replicas counted, so that one already counted there is not refused as new here.
   */
  private void learnAddresses(Map<Usage.Key, Long> totals) {
    for (Map.Entry<Usage.Key, Long> t : totals.entrySet()) {
      Usage.Key k = t.getKey();
      Count c = counts.get(k);
      if (k.limit() != UsageLimit.ADDRESSES || c == null) {
        continue;
      }
      LimitRules.Rule r = rules.rule(c.license, UsageLimit.ADDRESSES);
      Set<String> seen = known.get(k);
      if (r != null && r.enforced() && t.getValue() >= r.amount() && seen != null && seen.size() < t.getValue()) {
        store.addresses(k.license(), k.period()).forEach(a -> seen.add(a.address()));
      }
    }
  }

  private void flushQuietly() {
    boolean wasFailing = failing;
    try {
      flush();
      if (wasFailing) {
        log.info("fair-use counts: the store answers again; the counts kept meanwhile are added");
      }
    } catch (RuntimeException e) {
      if (!wasFailing) {
        log.warn("fair-use counts cannot be added to the store ({}); counting goes on here until it answers",
            e.getMessage());
      }
    }
  }

  private void notices(Map<Usage.Key, Long> totals) {
    if (webhooks == null || !webhooks.active()) {
      return;
    }
    for (Map.Entry<Usage.Key, Long> t : totals.entrySet()) {
      Count c = counts.get(t.getKey());
      LimitRules.Rule r = c == null ? null : rules.rule(c.license, t.getKey().limit());
      long used = t.getValue();
      if (r == null || used * 5 < r.amount() * 4) {
        continue;
      }
      boolean reached = used >= r.amount();
      Notice n = new Notice(t.getKey(), reached);
      if (noticed.contains(n)) {
        continue;
      }
      if (webhooks.noticeLimit(t.getKey(), reached, used, r.amount(), r.enforced())) {
        metrics.notice(c.license.application(), r.limit(), reached);
      }
      noticed.add(n);
      if (reached) {
        // Reached at once: the warning has nothing left to warn of.
        noticed.add(new Notice(t.getKey(), false));
      }
    }
  }

  private void forgetPastPeriods() {
    counts.entrySet().removeIf(e -> !e.getKey().period().equals(periods.current(e.getKey().limit()))
        && e.getValue().pending.get() == 0 && e.getValue().flushing.get() == 0);
    String today = periods.today();
    known.keySet().removeIf(k -> !k.period().equals(today));
    noticed.removeIf(n -> !n.key().period().equals(periods.current(n.key().limit())));
  }

  /** Stops the flushes, then flushes once more so that what was counted is not lost. */
  @Override
  public void close() {
    if (flusher != null) {
      flusher.shutdownNow();
      try {
        flusher.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      flushQuietly();
    }
  }
}
