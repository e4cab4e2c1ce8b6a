package io.turnstile.store;

import java.util.AbstractCollection;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * An immutable hash map split into {@value #SHARDS} shards by key hash, for {@link Snapshot}. A
 * copy with some keys changed copies only the shards those keys fall in and shares every other
 * shard with the original, so a change costs about {@code size / SHARDS} entries per key changed
 * instead of the whole map. A lookup stays a hash, an array index and one {@link HashMap#get}.
 *
 * <p>Values are never null. Shards are only ever written by an {@link Editor} before its map is
 * built, and an editor copies a shard before its first write, so a built map never changes.
 */
final class ShardedMap<K, V> {
  /** A power of two: 100 entries a shard at 100,000 entries. */
  static final int SHARDS = 1024;

  private static final int SHIFT = Integer.SIZE - Integer.numberOfTrailingZeros(SHARDS);

  /** Every empty shard until a write copies it; never written itself. */
  @SuppressWarnings("rawtypes")
  private static final HashMap EMPTY_SHARD = new HashMap<>(0);

  @SuppressWarnings("rawtypes")
  private static final ShardedMap EMPTY = new ShardedMap<>(emptyShards(), 0);

  private final HashMap<K, V>[] shards;
  private final int size;

  private ShardedMap(HashMap<K, V>[] shards, int size) {
    this.shards = shards;
    this.size = size;
  }

  @SuppressWarnings("unchecked")
  static <K, V> ShardedMap<K, V> empty() {
    return EMPTY;
  }

  @SuppressWarnings("unchecked")
  private static <K, V> HashMap<K, V>[] emptyShards() {
    HashMap<K, V>[] shards = new HashMap[SHARDS];
    Arrays.fill(shards, EMPTY_SHARD);
    return shards;
  }

  /**
   * The shard of {@code key}: the top bits of its hash times the golden ratio. {@link HashMap}
   * buckets by the low bits, so the keys of one shard still spread over its buckets.
   */
  private static int shard(Object key) {
    return (key.hashCode() * 0x9E3779B9) >>> SHIFT;
  }

  V get(Object key) {
    return shards[shard(key)].get(key);
  }

  int size() {
    return size;
  }

  /** An unmodifiable view of the values, in no particular order. */
  Collection<V> values() {
    return Collections.unmodifiableCollection(new AbstractCollection<V>() {
      @Override
      public Iterator<V> iterator() {
        return new Iterator<>() {
          private int next;
          private Iterator<V> current = Collections.emptyIterator();

          @Override
          public boolean hasNext() {
            while (!current.hasNext() && next < SHARDS) {
              current = shards[next++].values().iterator();
            }
            return current.hasNext();
          }

          @Override
          public V next() {
            if (!hasNext()) {
              throw new NoSuchElementException();
            }
            return current.next();
          }
        };
      }

      @Override
      public int size() {
        return size;
      }
    });
  }

  /** How many shards this map shares with {@code other}, the same objects: for tests. */
  int sharedShards(ShardedMap<?, ?> other) {
    int shared = 0;
    for (int i = 0; i < SHARDS; i++) {
      if (shards[i] == other.shards[i]) {
        shared++;
      }
    }
    return shared;
  }

  /** Starts a copy of this map; the map itself never changes. */
  Editor<K, V> edit() {
    return new Editor<>(this);
  }

  /** Changes to a copy of a map; each shard is copied before its first change. */
  static final class Editor<K, V> {
    private final HashMap<K, V>[] base;
    private HashMap<K, V>[] shards;
    private int size;

    private Editor(ShardedMap<K, V> base) {
      this.base = base.shards;
      this.shards = base.shards.clone();
      this.size = base.size;
    }

    /** Expected entries per shard once edited, for shards first written from empty; 0: unknown. */
    private int perShard;

    /**
     * Announces that the edited map will hold about {@code entries} entries, so that shards filled
     * from empty (a whole snapshot's load) are sized once instead of grown step by step.
     */
    Editor<K, V> expect(int entries) {
      perShard = entries / SHARDS + 1;
      return this;
    }

    /** The previous value of {@code key}, or null. */
    V put(K key, V value) {
      V previous = writable(shard(key)).put(key, value);
      if (previous == null) {
        size++;
      }
      return previous;
    }

    /** The removed value, or null when {@code key} was absent. */
    V remove(K key) {
      int i = shard(key);
      if (!shards[i].containsKey(key)) {
        return null;
      }
      size--;
      return writable(i).remove(key);
    }

    /** The edited map; the editor must not be used afterwards. */
    ShardedMap<K, V> build() {
      ShardedMap<K, V> built = new ShardedMap<>(shards, size);
      shards = null;
      return built;
    }

    private HashMap<K, V> writable(int i) {
      if (shards[i] == base[i]) {
        shards[i] = base[i].isEmpty() && perShard > 0
            ? new HashMap<>((perShard + perShard / 4 + 2) * 4 / 3 + 1)
            : new HashMap<>(base[i]);
      }
      return shards[i];
    }
  }
}
