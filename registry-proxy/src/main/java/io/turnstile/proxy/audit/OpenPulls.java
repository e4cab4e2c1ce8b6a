package io.turnstile.proxy.audit;

import io.turnstile.store.PullRecord;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Pull records held open for a short while, so that the blobs a client fetches after a manifest
 * are counted with it: a client pulls a manifest, then its layers, under the same key, repository
 * and address. A record closes when the same client pulls its next manifest there, or when nothing
 * more came for the quiet period. The same manifest pulled again by the same client within {@link
 * #REPEAT_WINDOW_NANOS} of the record's first GET only counts one more GET on the open record: a
 * client in a loop costs the store one row a second, not one per GET. Bounded: past {@code max} open records, a new one is not held.
 * Thread-safe; the event loops open and add, the writer thread closes.
 */
final class OpenPulls {
  private final ConcurrentHashMap<PullRecorder.JoinKey, Open> open = new ConcurrentHashMap<>();
  private final int max;
  private final long quietNanos;

  /** How long after a record's first GET identical ones count on it. */
  static final long REPEAT_WINDOW_NANOS = 1_000_000_000L;

  private static final class Open {
    final PullRecord record;
    final long opened;
    final AtomicLong bytes = new AtomicLong();
    /** GETs after the first counted on this record; {@link #CLOSED} once it is handed out. */
    final AtomicInteger repeats = new AtomicInteger();
    volatile long touched;
    static final int CLOSED = -1;

    Open(PullRecord record, long now) {
      this.record = record;
      this.opened = now;
      this.touched = now;
    }

    /** Counts one more GET, unless the record was closed (then the GET needs a record of its own). */
    boolean repeat() {
      while (true) {
        int n = repeats.get();
        if (n == CLOSED || n == Integer.MAX_VALUE - 1) {
          return false;
        }
        if (repeats.compareAndSet(n, n + 1)) {
          return true;
        }
      }
    }

    /** The record with its bytes and GETs; called once, by whoever took it out of the map. */
    PullRecord closed() {
      int n = repeats.getAndSet(CLOSED);
      PullRecord r = record.withBlobBytes(bytes.get());
      return n <= 0 ? r : r.withCount(r.count() + n);
    }
  }

  OpenPulls(int max, long quietNanos) {
    this.max = max;
    this.quietNanos = quietNanos;
  }

  /**
   * Holds {@code record} open under {@code key}.
   *
   * @return what is to be written now: the record it replaces, closed with its bytes; or {@code
   *     record} itself, uncounted, when too many are open; or null (also when {@code record} only
   *     repeats the open one, which counts it)
   */
  PullRecord open(PullRecorder.JoinKey key, PullRecord record, long now) {
    Open current = open.get(key);
    if (current != null && now - current.opened < REPEAT_WINDOW_NANOS && current.record.repeatedBy(record)
        && current.repeat()) {
      current.touched = now;
      return null;
    }
    if (current == null && open.size() >= max) {
      return record;
    }
    Open previous = open.put(key, new Open(record, now));
    return previous == null ? null : previous.closed();
  }

  /** Counts {@code bytes} for the record open under {@code key}, if any. */
  void add(PullRecorder.JoinKey key, long bytes, long now) {
    Open o = open.get(key);
    if (o != null) {
      o.bytes.addAndGet(bytes);
      o.touched = now;
    }
  }

  /** Closes the records quiet for the quiet period (every record when {@code all}), handing each to {@code sink}. */
  void close(long now, boolean all, Consumer<PullRecord> sink) {
    for (Map.Entry<PullRecorder.JoinKey, Open> e : open.entrySet()) {
      Open o = e.getValue();
      if ((all || now - o.touched >= quietNanos) && open.remove(e.getKey(), o)) {
        sink.accept(o.closed());
      }
    }
  }

  int size() {
    return open.size();
  }
}
