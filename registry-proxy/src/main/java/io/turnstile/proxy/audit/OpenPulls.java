package io.turnstile.proxy.audit;

import io.turnstile.store.PullRecord;
import io.turnstile.store.PullWrite;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Pull records held open for a short while after they are written, so that what a client fetches
 * next under the same key, repository and address is counted with its pull:
 * <ul>
 *   <li>the blobs: their bytes complete the record when it closes;
 *   <li>the same manifest again within {@link #REPEAT_WINDOW_NANOS} of the record's first GET: one
 *       more GET on the record, so a client in a loop costs the store one row a second;
 *   <li>another manifest by digest of the same version (the platform manifest of a multi-arch
 *       index, a signature or an SBOM reached from the same tag): part of the same pull, no row of
 *       its own.
 * </ul>
 * A GET by digest also takes the tag of the {@code HEAD} by tag that just resolved that digest
 * ({@link #resolved}), which is how docker and containerd pull a tag. A record closes when the
 * same client pulls another version there, or when nothing more came for the quiet period; its
 * completion is written only when there is something to add. Bounded: past {@code max} open
 * records, a new one is written without being held. Thread-safe; the event loops open and add, the
 * writer thread closes.
 */
final class OpenPulls {
  private final ConcurrentHashMap<PullRecorder.JoinKey, Open> open = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<PullRecorder.JoinKey, Resolved> resolved = new ConcurrentHashMap<>();
  private final int max;
  private final long quietNanos;

  /** How long after a record's first GET identical ones count on it. */
  static final long REPEAT_WINDOW_NANOS = 1_000_000_000L;

  /** The tag a {@code HEAD} resolved to {@code digest}, at {@code nanos}. */
  private record Resolved(String tag, String digest, long nanos) {}

  private static final class Open {
    final String id;
    final PullRecord record;
    final long opened;
    final AtomicLong bytes = new AtomicLong();
    /** GETs after the first counted on this record; {@link #CLOSED} once it is handed out. */
    final AtomicInteger repeats = new AtomicInteger();
    volatile long touched;
    static final int CLOSED = -1;

    Open(String id, PullRecord record, long now) {
      this.id = id;
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

    /** Whether {@code next}, by digest, is more of this pull: another manifest of the same version. */
    boolean continuedBy(PullRecord next) {
      return next.tag() == null && next.version() != null && next.version().equals(record.version())
          && !next.digest().equals(record.digest()) && repeats.get() != CLOSED;
    }

    /** The record's final counts, or null when it has nothing to add; called once, by whoever took it out of the map. */
    PullWrite.Complete closed() {
      int n = repeats.getAndSet(CLOSED);
      long b = bytes.get();
      return b == 0 && n <= 0 ? null : new PullWrite.Complete(id, record.at(), b, record.count() + Math.max(0, n));
    }
  }

  OpenPulls(int max, long quietNanos) {
    this.max = max;
    this.quietNanos = quietNanos;
  }

  /** Notes that a {@code HEAD} by {@code tag} under {@code key} was answered with {@code digest}. */
  void resolved(PullRecorder.JoinKey key, String tag, String digest, long now) {
    if (resolved.size() < max || resolved.containsKey(key)) {
      resolved.put(key, new Resolved(tag, digest, now));
    }
  }

  /**
   * Takes {@code record} under {@code key}: hands {@code sink} what is to be written now, the
   * record's insert (unless it only continues the open one, which counts it) and the completion of
   * the record it replaces.
   */
  void open(PullRecorder.JoinKey key, PullRecord record, long now, Supplier<String> ids, Consumer<PullWrite> sink) {
    if (record.tag() == null) {
      Resolved r = resolved.get(key);
      if (r != null && r.digest().equals(record.digest()) && now - r.nanos() < quietNanos) {
        record = record.withTag(r.tag());
      }
    }
    Open current = open.get(key);
    if (current != null && now - current.opened < REPEAT_WINDOW_NANOS && current.record.repeatedBy(record)
        && current.repeat()) {
      current.touched = now;
      return;
    }
    if (current != null && now - current.touched < quietNanos && current.continuedBy(record)) {
      current.touched = now;
      return;
    }
    if (current == null && open.size() >= max) {
      sink.accept(new PullWrite.Insert(ids.get(), record));
      return;
    }
    Open next = new Open(ids.get(), record.withBlobBytes(0), now);
    sink.accept(new PullWrite.Insert(next.id, next.record));
    Open previous = open.put(key, next);
    PullWrite.Complete done = previous == null ? null : previous.closed();
    if (done != null) {
      sink.accept(done);
    }
  }

  /** Counts {@code bytes} for the record open under {@code key}, if any. */
  void add(PullRecorder.JoinKey key, long bytes, long now) {
    Open o = open.get(key);
    if (o != null) {
      o.bytes.addAndGet(bytes);
      o.touched = now;
    }
  }

  /**
   * Closes the records quiet for the quiet period (every record when {@code all}), handing each
   * completion to {@code sink}, and forgets resolved tags as old.
   */
  void close(long now, boolean all, Consumer<PullWrite> sink) {
    for (Map.Entry<PullRecorder.JoinKey, Open> e : open.entrySet()) {
      Open o = e.getValue();
      if ((all || now - o.touched >= quietNanos) && open.remove(e.getKey(), o)) {
        PullWrite.Complete done = o.closed();
        if (done != null) {
          sink.accept(done);
        }
      }
    }
    resolved.values().removeIf(r -> all || now - r.nanos() >= quietNanos);
  }

  int size() {
    return open.size();
  }
}
