package io.turnstile.proxy.webhooks;

import com.standardwebhooks.Webhook;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.turnstile.config.WebhooksConfig;
import io.turnstile.store.DueDelivery;
import io.turnstile.store.Keys;
import io.turnstile.store.Webhooks;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the outbox. One thread looks for due deliveries (every {@code webhooks.poll}, and once
 * this replica's writes or deliveries have paused for {@link #GATHER}, at most {@link #GATHER_MAX}
 * after the first of them) and, in one write, records the successes gathered since its last look,
 * fans out the events written meanwhile (their payloads and deliveries) and leases at most as many
 * runs of due deliveries as there are free delivery threads, each run up to {@link #RUN} deliveries
 * of one customer to one endpoint; it hands each run to one of a pool of {@code
 * webhooks.concurrency} threads of its own, which sends them in order and stops at the first
 * failure: a slow receiver never holds up a pull or an admin call, only other deliveries, and a
 * burst of admin writes meets one or two writes of the poller's, not one per event. Each attempt is
 * signed the Standard Webhooks way ({@code webhook-id} is the event's id, the same at every attempt,
 * so receivers de-duplicate by it). A failure is retried after {@code webhooks.retryBase}, doubling
 * with jitter up to an hour between attempts, until {@code webhooks.retryFor} after the event; then
 * the delivery is marked failed. An endpoint whose deliveries have failed for {@code retryFor} is
 * disabled. Deliveries delivered or failed more than 30 days ago are deleted hourly, with their
 * events.
 */
public final class WebhookDispatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WebhookDispatcher.class);
  private static final Duration MAX_WAIT = Duration.ofHours(1);
  private static final Duration COUNT_EVERY = Duration.ofSeconds(5);
  /**
   * How long writes must pause before the poller looks or a run's next attempt goes: admin calls
   * go before deliveries.
   */
  static final Duration GATHER = Duration.ofMillis(20);
  /** What a lease holds beyond the attempts it covers. */
  private static final Duration LEASE_SPARE = Duration.ofSeconds(5);
  /** The longest the poller, and then each run, waits while writes keep coming. */
  static final Duration GATHER_MAX = Duration.ofSeconds(1);
  /** Most deliveries of one customer to one endpoint leased together and sent one after another. */
  static final int RUN = 100;
  /** How long settled deliveries stay listed, and how often older ones are deleted. */
  static final Duration KEEP = Duration.ofDays(30);
  private static final Duration PRUNE_EVERY = Duration.ofHours(1);

  private final Webhooks store;
  private final WebhooksConfig config;
  private final WebhookClient client;
  private final Clock clock;
  private final String replica = Keys.newId("rep_");
  private final Duration lease;
  private final ExecutorService pool;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Object signal = new Object();
  private final Thread poller;
  private final Counter delivered;
  private final Counter retried;
  private final Counter failed;
  private final AtomicLong pending = new AtomicLong();
  /**
   * Successful attempts not yet recorded: the poller records them together, in one write, so that
   * deliveries take the store's writer about once per poll rather than once per event.
   */
  private final ConcurrentLinkedQueue<Webhooks.Delivered> settled = new ConcurrentLinkedQueue<>();
  /** Leased deliveries of a run that were never attempted: let go at the next look. */
  private final ConcurrentLinkedQueue<DueDelivery> unattempted = new ConcurrentLinkedQueue<>();
  private volatile boolean woken;
  /** When this replica last saw a write (its own or another replica's), by {@link System#nanoTime}. */
  private volatile long lastWrite = System.nanoTime() - GATHER.toNanos();
  private volatile boolean closed;
  private boolean storeOut;
  private long prunedAt;
  private long countedAt;

  public WebhookDispatcher(Webhooks store, WebhooksConfig config, WebhookClient client, Clock clock,
      MeterRegistry meters) {
    this.store = store;
    this.config = config;
    this.client = client;
    this.clock = clock;
    // A run's attempts start only while the lease outlasts their timeout by LEASE_SPARE, so a lease
    // never ends under a live attempt; it leaves room for a first attempt that waited for writes to
    // pause. A replica that died mid-run hands the rest on once it ends.
    this.lease = config.timeout().multipliedBy(2).plus(GATHER_MAX).plus(LEASE_SPARE.multipliedBy(2));
    AtomicInteger n = new AtomicInteger();
    this.pool = new ThreadPoolExecutor(config.concurrency(), config.concurrency(), 60, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "turnstile-webhook-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    this.delivered = Counter.builder("turnstile_webhook_deliveries").tag("outcome", "delivered")
        .description("Webhook attempts that a receiver accepted").register(meters);
    this.retried = Counter.builder("turnstile_webhook_deliveries").tag("outcome", "retried")
        .description("Webhook attempts that failed and will be tried again").register(meters);
    this.failed = Counter.builder("turnstile_webhook_deliveries").tag("outcome", "failed")
        .description("Webhook deliveries given up after their last attempt").register(meters);
    Gauge.builder("turnstile_webhook_pending", pending, AtomicLong::get)
        .description("Webhook deliveries not yet delivered or given up, all replicas").register(meters);
    this.poller = new Thread(this::run, "turnstile-webhook-poller");
    poller.setDaemon(true);
  }

  public WebhookDispatcher start() {
    poller.start();
    return this;
  }

  /**
   * A write was made (a snapshot followed it): the poller looks once writes pause, and runs under way
   * wait for that pause before their next attempt, up to {@link #GATHER_MAX}.
   */
  public void written() {
    lastWrite = System.nanoTime();
    wake();
  }

  /** Looks for due deliveries soon rather than at the next poll. */
  public void wake() {
    woken = true;
    synchronized (signal) {
      signal.notifyAll();
    }
  }

  /** Whether the poller is alive, for the process's vitals. */
  public boolean running() {
    return poller.isAlive() || closed;
  }

  private void run() {
    while (!closed) {
      try {
        pollOnce();
        if (storeOut) {
          storeOut = false;
          log.info("looking for due webhook deliveries again");
        }
        synchronized (signal) {
          if (!woken && !closed) {
            signal.wait(config.poll().toMillis());
          }
          if (woken) {
            gather();
          }
        }
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        // The store may be out for a while; the outbox keeps everything until it is back. Said once
        // per outage, not at every poll.
        if (!storeOut) {
          storeOut = true;
          log.warn("cannot look for due webhook deliveries, trying again every {} ms: {}", config.poll().toMillis(),
              e.getMessage());
        }
        sleepQuietly();
      }
    }
  }

  /**
   * Woken by a write or a finished delivery: waits {@link #GATHER}, longer while writes keep coming
   * (at most {@link #GATHER_MAX}), so that a burst of admin writes meets one write of the poller's
   * after them rather than one each (the store has one writer), and several finished deliveries are
   * recorded together. Order is the store's to keep: it leases a delivery only once those before it
   * under the same key are settled or in the same run, so a gather cannot reorder them. Holds
   * {@link #signal}.
   */
  private void gather() throws InterruptedException {
    long start = System.nanoTime();
    long end = start + GATHER_MAX.toNanos();
    while (!closed) {
      woken = false;
      long left = Math.min(Math.max(start, lastWrite) + GATHER.toNanos(), end) - System.nanoTime();
      if (left <= 0) {
        return;
      }
      TimeUnit.NANOSECONDS.timedWait(signal, left);
    }
  }

  /** Before a run's next attempt: waits while writes keep coming, until {@code untilNanos} at most. */
  private void yieldToWrites(long untilNanos) throws InterruptedException {
    for (long now = System.nanoTime(); now < untilNanos; now = System.nanoTime()) {
      long quiet = lastWrite + GATHER.toNanos() - now;
      if (quiet <= 0) {
        return;
      }
      TimeUnit.NANOSECONDS.sleep(Math.min(quiet, untilNanos - now));
    }
  }

  private void pollOnce() {
    long now = clock.millis();
    if (now - countedAt >= COUNT_EVERY.toMillis()) {
      countedAt = now;
      pending.set(store.countsByState().getOrDefault("pending", 0L));
    }
    if (now - prunedAt >= PRUNE_EVERY.toMillis()) {
      prunedAt = now;
      long pruned = store.prune(clock.instant().minus(KEEP));
      if (pruned > 0) {
        log.info("pruned {} webhook deliveries settled more than {} days ago", pruned, KEEP.toDays());
      }
    }
    // Claimed with no room left too: the events written meanwhile are fanned out all the same.
    int free = closed ? 0 : Math.max(0, config.concurrency() - inFlight.get());
    for (List<DueDelivery> run : settleAndClaim(free, RUN)) {
      inFlight.incrementAndGet();
      try {
        pool.execute(new Send(run));
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // Stopping: let go at once rather than held until the lease ends.
        inFlight.decrementAndGet();
        unattempted.addAll(run);
      }
    }
  }

  /** A run handed to a delivery thread; one still queued when the pool stops is let go. */
  private final class Send implements Runnable {
    private final List<DueDelivery> run;

    Send(List<DueDelivery> run) {
      this.run = run;
    }

    @Override
    public void run() {
      try {
        send(run);
      } finally {
        inFlight.decrementAndGet();
        wake();
      }
    }
  }

  /**
   * Sends a run in order, each attempt only once the one before it succeeded, only while its lease
   * outlasts the attempt's timeout by 5 s, and only while its endpoint is enabled with the same URL
   * (as this replica last heard); what is left is let go at the next look, to be leased
   * again (behind a failed one, once it is settled). While writes keep coming the run waits for them
   * to pause, {@link #GATHER_MAX} at most in all, then goes on regardless: busy admin calls delay
   * deliveries a little but never starve them.
   */
  private void send(List<DueDelivery> run) {
    long yieldUntil = System.nanoTime() + GATHER_MAX.toNanos();
    for (int i = 0; i < run.size(); i++) {
      DueDelivery d = run.get(i);
      try {
        yieldToWrites(yieldUntil);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        unattempted.addAll(run.subList(i, run.size()));
        return;
      }
      // An attempt may outlast its timeout a little (resolving, connecting), and replicas' clocks
      // differ: it starts only with the lease's spare 5 s still ahead of its end.
      boolean inTime = clock.instant().plus(config.timeout()).plus(LEASE_SPARE).isBefore(d.leaseUntil());
      if (closed || !inTime || !store.sendsTo(d.endpointId(), d.url())) {
        unattempted.addAll(run.subList(i, run.size()));
        return;
      }
      if (!attempt(d)) {
        // A failure is recorded and holds back the rest; an attempt cut short by a stop is not, and
        // goes back with them.
        unattempted.addAll(run.subList(Thread.currentThread().isInterrupted() ? i : i + 1, run.size()));
        return;
      }
    }
  }

  /** One attempt, its outcome recorded (a success at the next look). @return whether it succeeded */
  private boolean attempt(DueDelivery d) {
    byte[] body = d.payload().getBytes(StandardCharsets.UTF_8);
    WebhookClient.Outcome outcome;
    try {
      long timestamp = clock.instant().getEpochSecond();
      String signature = new Webhook(d.secret()).sign(d.eventId(), timestamp, d.payload());
      outcome = client.post(d.url(), Map.of("webhook-id", d.eventId(),
          "webhook-timestamp", Long.toString(timestamp), "webhook-signature", signature), body);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (Exception e) {
      outcome = new WebhookClient.Outcome(null, "cannot sign: " + e.getClass().getSimpleName(), Duration.ZERO);
    }
    try {
      record(d, outcome);
    } catch (RuntimeException e) {
      // The lease runs out and another attempt follows: at least once, never lost.
      log.warn("cannot record the outcome of {}: {}", d, e.getMessage());
    }
    return outcome.succeeded();
  }

  private static <T> List<T> drain(ConcurrentLinkedQueue<T> queue) {
    List<T> batch = new java.util.ArrayList<>();
    for (T t; (t = queue.poll()) != null; ) {
      batch.add(t);
    }
    return batch;
  }

  /**
   * The successes gathered since the last look, the deliveries let go, the events written meanwhile
   * and up to {@code free} runs of the next leases: one write, so deliveries take the store's writer
   * about once per look.
   */
  private List<List<DueDelivery>> settleAndClaim(int free, int run) {
    List<Webhooks.Delivered> batch = drain(settled);
    List<DueDelivery> letGo = drain(unattempted);
    List<List<DueDelivery>> runs;
    try {
      runs = store.settleAndClaim(batch, letGo, replica, free, run, lease);
    } catch (RuntimeException e) {
      // Kept for the next look; should the leases run out meanwhile, the deliveries are sent again
      // (at least once), never lost.
      settled.addAll(batch);
      unattempted.addAll(letGo);
      throw e;
    }
    delivered.increment(batch.size());
    return runs;
  }

  /**
   * Records the successes gathered so far and lets go of what was not attempted, in one write, when
   * the poller stops: another replica takes the rest without waiting for the leases to end.
   */
  private void recordSettled() {
    if (!settled.isEmpty() || !unattempted.isEmpty()) {
      settleAndClaim(0, 1);
    }
  }

  private void record(DueDelivery d, WebhookClient.Outcome outcome) {
    if (outcome.succeeded()) {
      settled.add(new Webhooks.Delivered(d, outcome.status(), outcome.took()));
      return;
    }
    Instant now = clock.instant();
    Instant retryAt = now.plus(backoff(d.attempts() + 1));
    if (retryAt.isAfter(d.createdAt().plus(config.retryFor()))) {
      retryAt = null;
    }
    // Disabled once it has failed for retryFor: a run of failures that began that long ago, or, when
    // this delivery gives up, one that began no later than its first attempt (no success since).
    Instant disableBefore = retryAt != null ? now.minus(config.retryFor())
        : d.createdAt().plus(config.timeout()).plus(config.poll()).plusMillis(1);
    store.failed(d, replica, outcome.status(), outcome.error(), outcome.took(), retryAt, disableBefore);
    if (retryAt == null) {
      failed.increment();
      log.warn("webhook {} to {} failed after {} attempts: {}", d.eventId(), d.endpointId(), d.attempts() + 1,
          outcome.error());
    } else {
      retried.increment();
      log.info("webhook {} to {} failed ({}); next attempt at {}", d.eventId(), d.endpointId(), outcome.error(),
          retryAt);
    }
  }

  /** The wait after the {@code failures}-th failure: the base doubled each time, at most an hour, less up to half. */
  Duration backoff(int failures) {
    long base = config.retryBase().toMillis();
    long full = failures >= 40 ? MAX_WAIT.toMillis() : Math.min(MAX_WAIT.toMillis(), base << (failures - 1));
    long jittered = full / 2 + ThreadLocalRandom.current().nextLong(full / 2 + 1);
    return Duration.ofMillis(Math.max(1, jittered));
  }

  private void sleepQuietly() {
    try {
      Thread.sleep(config.poll().toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    closed = true;
    wake();
    poller.interrupt();
    try {
      poller.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Runnable queued : pool.shutdownNow()) {
      if (queued instanceof Send s) {
        inFlight.decrementAndGet();
        unattempted.addAll(s.run);
      }
    }
    try {
      pool.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      recordSettled();
    } catch (RuntimeException e) {
      log.warn("cannot record {} delivered webhooks before stopping; they will be sent again: {}", settled.size(),
          e.getMessage());
    }
  }
}
