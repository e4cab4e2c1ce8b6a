package io.turnstile.proxy.audit;

import io.turnstile.store.PullRecord;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Pull records held open for a short while, so that the blobs a client fetches after a manifest
 * are counted with it: a client pulls a manifest, then its layers, under the same key, repository
 * and address. A record closes when the same client pulls its next manifest there, or when nothing
 * more came for the quiet period. Bounded: past {@code max} open records, a new one is not held.
 * Thread-safe; the event loops open and add, the writer thread closes.
 */
final class OpenPulls {
  private final ConcurrentHashMap<PullRecorder.JoinKey, Open> open = new ConcurrentHashMap<>();
  private final int max;
  private final long quietNanos;

  private static final class Open {
    final PullRecord record;
    final AtomicLong bytes = new AtomicLong();
    volatile long touched;

    Open(PullRecord record, long now) {
      this.record = record;
      this.touched = now;
    }

    PullRecord closed() {
      return record.withBlobBytes(bytes.get());
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
   *     record} itself, uncounted, when too many are open; or null
   */
  PullRecord open(PullRecorder.JoinKey key, PullRecord record, long now) {
    if (open.size() >= max && !open.containsKey(key)) {
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
