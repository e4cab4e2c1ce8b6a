package io.turnstile.proxy.upstream;

import io.netty.channel.EventLoop;
import io.turnstile.config.Durations;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bound on one upstream's connections in use at once, shared by every event loop. A call takes
 * a lease before it takes a connection from its loop's pool and gives both back together; calls
 * beyond the bound wait, first come first served, for up to the upstream's {@code connectionWait}.
 * The bound is on calls, whichever loop they run on: a blob download holds its lease for its whole
 * length, and 64 downloads over two loops fit 64 leases however unevenly they are spread.
 */
final class ConnectionLeases {
  /** Calls that may wait at once; beyond it a call fails at once rather than queue without end. */
  static final int MAX_WAITING = 10_000;

  private static final Logger log = LoggerFactory.getLogger(ConnectionLeases.class);
  private static final long WARN_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

  private final String upstream;
  private final int max;
  private final Duration wait;
  private final long waitNanos;
  private final AtomicLong lastWarning = new AtomicLong(System.nanoTime() - WARN_EVERY_NANOS);
  private final LongAdder turnedAway = new LongAdder();
  private final ArrayDeque<Promise<Void>> waiting = new ArrayDeque<>();
  /** Leases held; guarded by {@code this}. */
  private int inUse;

  ConnectionLeases(String upstream, int max, Duration wait) {
    this.upstream = upstream;
    this.max = max;
    this.wait = wait;
    this.waitNanos = wait.toNanos();
  }

  /**
   * A lease, granted at once when one is free and otherwise when a holder gives one back; the
   * future completes on {@code loop}. It fails with {@link BusyException} once the wait is over or
   * too many calls are waiting. Cancelling it gives up the place in line; a granted lease is given
   * back with {@link #release}.
   */
  Future<Void> acquire(EventLoop loop) {
    Promise<Void> lease = loop.newPromise();
    synchronized (this) {
      if (inUse < max) {
        inUse++;
        return lease.setSuccess(null);
      }
      if (waiting.size() >= MAX_WAITING) {
        return lease.setFailure(busy(false));
      }
      waiting.add(lease);
    }
    var timeout = loop.schedule(() -> {
      if (leave(lease)) {
        lease.tryFailure(busy(true));
      }
    }, waitNanos, TimeUnit.NANOSECONDS);
    lease.addListener(f -> {
      timeout.cancel(false);
      if (f.isCancelled()) {
        leave(lease);
      }
    });
    return lease;
  }

  /** Gives a granted lease back: to the first call still waiting, or to the free ones. */
  void release() {
    while (true) {
      Promise<Void> next;
      synchronized (this) {
        next = waiting.poll();
        if (next == null) {
          inUse--;
          return;
        }
      }
      // The lease passes on without being freed; a caller that gave up in the meantime passes it on again.
      if (next.trySuccess(null)) {
        return;
      }
    }
  }

  /** Leases held now. */
  synchronized int inUse() {
    return inUse;
  }

  /** Calls waiting for a lease now. */
  synchronized int waiting() {
    return waiting.size();
  }

  int max() {
    return max;
  }

  /** Why a call got no lease, counted and logged at most once a minute. */
  private BusyException busy(boolean waited) {
    String why = waited
        ? "no connection to the upstream registry came free within " + Durations.format(wait) + " (maxConnections: " + max
            + ", all in use)"
        : "too many calls are waiting for a connection to the upstream registry";
    turnedAway.increment();
    long last = lastWarning.get();
    long now = System.nanoTime();
    if (now - last >= WARN_EVERY_NANOS && lastWarning.compareAndSet(last, now)) {
      log.warn("upstream {}: {} calls got no connection so far ({}); raise upstreams[].maxConnections"
          + " above the blob downloads expected at once", upstream, turnedAway.sum(), why);
    }
    return new BusyException(why);
  }

  private synchronized boolean leave(Promise<Void> lease) {
    return waiting.remove(lease);
  }

  /** No lease came: every connection stayed in use for the whole wait, or too many calls wait. */
  static final class BusyException extends Exception {
    BusyException(String why) {
      super(why, null, false, false);
    }
  }
}
