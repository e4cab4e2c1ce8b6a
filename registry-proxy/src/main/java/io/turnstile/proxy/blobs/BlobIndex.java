package io.turnstile.proxy.blobs;

import io.turnstile.proxy.blobs.BlobStore.Entry;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * What one cache holds, least recently used first, and the bytes it adds up to. A {@link #get}
 * counts as a use. Whatever adds bytes evicts the least recently used entries until the total fits
 * {@code maxSize} again and hands them back: deleting their files is the caller's work, done outside
 * this lock. Thread-safe: one lock guards the order and the total together.
 */
final class BlobIndex {
  private final long maxSize;
  /** Least recently used first. Guarded by {@code this}. */
  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(1024, 0.75f, true);
  /** Guarded by {@code this}. */
  private long bytes;

  BlobIndex(long maxSize) {
    this.maxSize = maxSize;
  }

  /** The entry for {@code hex}, now the most recently used; null when absent. */
  synchronized Entry get(String hex) {
    return entries.get(hex);
  }

  /** Replaces what the index holds with {@code oldestFirst}; returns the entries that do not fit. */
  synchronized List<Entry> load(List<Entry> oldestFirst) {
    entries.clear();
    bytes = 0;
    for (Entry e : oldestFirst) {
      entries.put(e.hex(), e);
      bytes += e.size();
    }
    return overflow();
  }

  /** Adds {@code e} as the most recently used, replacing an entry of the same name; returns the entries evicted. */
  synchronized List<Entry> put(Entry e) {
    Entry before = entries.put(e.hex(), e);
    if (before != null) {
      bytes -= before.size();
    }
    bytes += e.size();
    return overflow();
  }

  /** Removes {@code e}, unless another entry has taken its name meanwhile; returns whether it was removed. */
  synchronized boolean remove(Entry e) {
    boolean removed = entries.remove(e.hex(), e);
    if (removed) {
      bytes -= e.size();
    }
    return removed;
  }

  synchronized long bytes() {
    return bytes;
  }

  synchronized int count() {
    return entries.size();
  }

  /** Removes the least recently used entries until the rest fit. Caller holds the lock. */
  private List<Entry> overflow() {
    List<Entry> out = new ArrayList<>();
    Iterator<Entry> it = entries.values().iterator();
    while (bytes > maxSize && it.hasNext()) {
      Entry e = it.next();
      it.remove();
      bytes -= e.size();
      out.add(e);
    }
    return out;
  }
}
