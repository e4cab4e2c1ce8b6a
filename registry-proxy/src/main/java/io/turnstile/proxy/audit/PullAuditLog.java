package io.turnstile.proxy.audit;

import io.turnstile.config.AuditConfig;
import io.turnstile.store.PullLog;
import io.turnstile.store.PullRecord;
import io.turnstile.store.PullWrite;
import io.turnstile.store.StoreUnavailableException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pull audit log's writer. A record goes at once into an in-memory queue bounded in records
 * ({@code audit.queueSize}) and in bytes ({@link #MAX_QUEUE_BYTES}; each record's fields are cut
 * when it is made), and is also held open for what the same client pulls after it ({@link
 * OpenPulls}: the blobs and the rest of a multi-arch pull, until its next version or {@code audit.pullWindow}
 * without blob bytes), whose counts are queued as its completion when it closes. One background thread
 * writes them to the store in batches (at most {@link #BATCH} records, at least every {@link
 * #INTERVAL}), each batch in one transaction. A pull never waits: when the queue is full the record
 * is dropped and counted, with a warning at most once a minute. While the database is unreachable
 * the batch in hand is retried with backoff (0.5 s doubling to 30 s) and the queue fills meanwhile,
 * so an outage delays records without losing them, up to the queue's bound. The same thread prunes
 * records older than the retention, at start and then hourly.
 */
public final class PullAuditLog implements PullRecorder, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PullAuditLog.class);
  static final int BATCH = 1_000;
  static final Duration INTERVAL = Duration.ofMillis(500);
  /** How often a waiting writer looks for a flush, a close or a full batch. */
  private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
  private static final Duration PRUNE_EVERY = Duration.ofHours(1);
  private static final long MAX_BACKOFF_MS = 30_000;
  /** Attempts at a batch the database refuses while reachable (bad data, not an outage). */
  private static final int MAX_REFUSALS = 5;
  private static final long WARN_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);
  /** How long {@link #close} waits for the queue to be written. */
  private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);
  /** Most bytes the queued records may take, whatever their count. */
  static final long MAX_QUEUE_BYTES = 64L << 20;
  /** Most records held open at once; beyond them, records are queued without their blob bytes. */
  private static final int MAX_OPEN = 10_000;

  private final PullLog store;
  private final Clock clock;
  private final Duration retention;
  private final int capacity;
  private final long maxBytes;
  private final AtomicLong queuedBytes = new AtomicLong();
  private final int batchSize;
  private final long intervalNanos;
  private final long firstBackoffMs;
  private final ArrayBlockingQueue<PullWrite> queue;
  private final OpenPulls open;
  private final Thread writer;

  private final LongAdder dropped = new LongAdder();
  private final AtomicLong lastWarning = new AtomicLong(System.nanoTime() - WARN_EVERY_NANOS);
  /** Records taken into the log (not dropped at the door), and those since settled: written or dropped. */
  private final LongAdder accepted = new LongAdder();
  private final Object progress = new Object();
  private long settled;
  private volatile long written;
  private volatile long failedWrites;
  /** The size of the batch in hand, for {@link #stats}. */
  private volatile int inHand;
  private volatile boolean flushNow;
  private volatile boolean running = true;
  private volatile long stopBy = Long.MAX_VALUE;

  /** The log {@code config} describes, writing to {@code store}; its thread starts at once. */
  public PullAuditLog(PullLog store, AuditConfig config, Clock clock) {
    this(store, clock, config.retention(), config.queueSize(), MAX_QUEUE_BYTES, BATCH, INTERVAL,
        Duration.ofMillis(500), config.pullWindow());
  }

  private volatile Consumer<PullRecord> writtenListener = r -> { };

  PullAuditLog(PullLog store, Clock clock, Duration retention, int capacity, long maxBytes, int batchSize,
      Duration interval, Duration firstBackoff, Duration quiet) {
    this.store = Objects.requireNonNull(store, "store");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.retention = Objects.requireNonNull(retention, "retention");
    this.capacity = capacity;
    this.maxBytes = maxBytes;
    this.batchSize = batchSize;
    this.intervalNanos = interval.toNanos();
    this.firstBackoffMs = firstBackoff.toMillis();
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.open = new OpenPulls(MAX_OPEN, quiet.toNanos());
    this.writer = new Thread(this::run, "turnstile-pull-audit");
    writer.setDaemon(true);
    writer.start();
  }

  /**
   * Calls {@code listener} on the writer thread with each record once it is written, e.g. to
   * announce a license's first pull of a version; a listener that throws is logged and kept.
   */
  public void onWritten(Consumer<PullRecord> listener) {
    this.writtenListener = Objects.requireNonNull(listener, "listener");
  }

  /** Queues {@code record} and holds it open for what follows; never blocks. */
  @Override
  public void pulled(PullRecord record, JoinKey joinKey) {
    if (joinKey == null || !running) {
      enqueue(new PullWrite.Insert(store.newId(), record));
    } else {
      open.open(joinKey, record, System.nanoTime(), store::newId, this::enqueue);
    }
  }

  @Override
  public void resolved(JoinKey joinKey, String tag, String digest) {
    open.resolved(joinKey, tag, digest, System.nanoTime());
  }

  @Override
  public void blobBytes(JoinKey joinKey, long bytes) {
    open.add(joinKey, bytes, System.nanoTime());
  }

  /** Queues {@code write}; never blocks. A full queue, or a closed log, drops it and counts it. */
  private void enqueue(PullWrite write) {
    long weight = weight(write);
    if (running && queuedBytes.addAndGet(weight) <= maxBytes) {
      if (queue.offer(write)) {
        accepted.increment();
        return;
      }
    }
    queuedBytes.addAndGet(-weight);
    dropped.increment();
    long last = lastWarning.get();
    long now = System.nanoTime();
    if (now - last >= WARN_EVERY_NANOS && lastWarning.compareAndSet(last, now)) {
      log.warn("pull audit log: {} records dropped so far ({}); the store is not keeping up or is unreachable",
          dropped.sum(), running ? "queue full at " + capacity + " records or " + (maxBytes >> 20) + " MiB" : "stopped");
    }
  }

  /** Whether the writer thread runs: false once it has ended, by {@link #close} or by an error. */
  public boolean writing() {
    return writer.isAlive();
  }

  public AuditStats stats() {
    return new AuditStats(open.size(), queue.size() + inHand, capacity, dropped.sum(), written, failedWrites);
  }

  /**
   * Closes the open records and writes what is queued now without waiting for the batch interval,
   * and waits until it is written or {@code timeout} passes.
   *
   * @return whether everything queued before the call was written (or settled) in time
   */
  public boolean flush(Duration timeout) throws InterruptedException {
    open.close(System.nanoTime(), true, this::enqueue);
    long target = accepted.sum();
    long deadline = System.nanoTime() + timeout.toNanos();
    flushNow = true;
    synchronized (progress) {
      while (settled < target) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(progress, left);
      }
    }
    return true;
  }

  /**
   * Stops taking records and writes those queued, waiting up to 5 s for the database; what cannot
   * be written by then is counted as dropped and logged.
   */
  @Override
  public void close() {
    open.close(System.nanoTime(), true, this::enqueue);
    running = false;
    stopBy = System.nanoTime() + CLOSE_WAIT.toNanos();
    flushNow = true;
    try {
      writer.join(CLOSE_WAIT.toMillis() + 2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void announce(List<PullWrite> batch) {
    Consumer<PullRecord> listener = writtenListener;
    for (PullWrite w : batch) {
      if (w instanceof PullWrite.Insert i) {
        try {
          listener.accept(i.record());
        } catch (RuntimeException e) {
          log.warn("pull audit log: a listener failed: {}", e.getMessage());
        }
      }
    }
  }

  private void run() {
    List<PullWrite> batch = null;
    int attempts = 0;
    long nextPrune = System.nanoTime();
    while (true) {
      if (!running && System.nanoTime() - stopBy > 0) {
        int lost = (batch == null ? 0 : batch.size()) + queue.size();
        if (lost > 0) {
          dropped.add(lost);
          log.warn("pull audit log: {} records not written at shutdown: the store is unreachable", lost);
        }
        return;
      }
      open.close(System.nanoTime(), false, this::enqueue);
      if (batch == null) {
        batch = nextBatch();
        inHand = batch.size();
        attempts = 0;
      }
      if (batch.isEmpty()) {
        batch = null;
        if (!running) {
          return;
        }
        nextPrune = pruneIfDue(nextPrune);
        continue;
      }
      try {
        store.write(batch);
        announce(batch);
        int n = batch.size();
        written += batch.stream().filter(w -> w instanceof PullWrite.Insert).count();
        batch = null;
        inHand = 0;
        // Settled last: whoever waits on a flush then reads stats that include this batch.
        settle(n);
      } catch (RuntimeException e) {
        failedWrites++;
        attempts++;
        boolean outage = e instanceof StoreUnavailableException;
        if (!outage && attempts >= MAX_REFUSALS) {
          log.error("pull audit log: the store refused a batch of {} records {} times; dropping it", batch.size(),
              attempts, e);
          int n = batch.size();
          dropped.add(n);
          batch = null;
          inHand = 0;
          settle(n);
          continue;
        }
        long backoff = Math.min(MAX_BACKOFF_MS, firstBackoffMs << Math.min(attempts - 1, 16));
        if (attempts == 1 || attempts % 10 == 0) {
          log.warn("pull audit log: cannot write {} records ({}); retrying in {} ms, {} more queued",
              batch.size(), e.getMessage(), backoff, queue.size());
        }
        pause(backoff);
      }
      nextPrune = pruneIfDue(nextPrune);
    }
  }

  /**
   * Up to {@code batchSize} records: what is queued once the interval has passed, the batch size is
   * reached, or a flush or a close asks. The thread sleeps in short slices meanwhile rather than
   * wait on the queue, which would wake it for every record on the cores the pulls share.
   */
  private List<PullWrite> nextBatch() {
    long deadline = System.nanoTime() + intervalNanos;
    while (running && !flushNow && queue.size() < batchSize) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        break;
      }
      LockSupport.parkNanos(Math.min(left, SLICE_NANOS));
      if (Thread.interrupted()) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    List<PullWrite> batch = new ArrayList<>(Math.min(batchSize, Math.max(16, queue.size())));
    queue.drainTo(batch, batchSize);
    long weight = 0;
    for (PullWrite r : batch) {
      weight += weight(r);
    }
    queuedBytes.addAndGet(-weight);
    if (queue.isEmpty()) {
      flushNow = false;
    }
    return batch;
  }

  /** About the bytes {@code w} takes in memory: its strings' characters at two bytes, and the objects. */
  static long weight(PullWrite w) {
    return w instanceof PullWrite.Insert i ? 64 + weight(i.record()) : 128;
  }

  /** About the bytes {@code r} takes in memory: its strings' characters at two bytes, and the objects. */
  static long weight(PullRecord r) {
    long chars = length(r.application()) + length(r.repository()) + length(r.tag()) + length(r.version())
        + length(r.digest()) + length(r.clientAddress()) + length(r.userAgent())
        + (r.licenseId() == null ? 0 : length(r.licenseId().value())) + length(r.customerId().value());
    return 256 + 2 * chars;
  }

  private static int length(String s) {
    return s == null ? 0 : s.length();
  }

  /** Bytes the queued records take now, for tests. */
  long queuedBytes() {
    return queuedBytes.get();
  }

  private void settle(int n) {
    synchronized (progress) {
      settled += n;
      progress.notifyAll();
    }
  }

  private long pruneIfDue(long due) {
    if (System.nanoTime() - due < 0) {
      return due;
    }
    try {
      long n = store.prune(clock.instant().minus(retention));
      if (n > 0) {
        log.info("pull audit log: pruned {} records older than {}", n, retention);
      }
    } catch (RuntimeException e) {
      log.warn("pull audit log: pruning failed ({}); trying again in an hour", e.getMessage());
    }
    return System.nanoTime() + PRUNE_EVERY.toNanos();
  }

  /** Sleeps {@code ms}, in slices, ending early once the log is closing and its time is up. */
  private void pause(long ms) {
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    while (System.nanoTime() - until < 0 && (running || System.nanoTime() - stopBy < 0)) {
      try {
        Thread.sleep(Math.min(50, Math.max(1, TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime()))));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
