package io.turnstile.store.internal;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.Table;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last use of credentials (API tokens, pull tokens), noted in memory on the request path and
 * written every {@link #FLUSH_EVERY} in one batch, not one write per call. A later use is never
 * overwritten by an earlier one, also when two replicas write the same row; uses that cannot be
 * written yet are kept for the next flush.
 */
final class LastUses implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LastUses.class);
  /** How often noted uses are written. */
  static final Duration FLUSH_EVERY = Duration.ofSeconds(5);

  private final StoreWriter writer;
  private final Table<? extends Record> table;
  private final Field<String> id;
  private final Field<Long> lastUsedAt;
  private final String what;
  /** Uses not written yet: id to epoch milliseconds. */
  private final Map<String, Long> pending = new ConcurrentHashMap<>();
  private final ScheduledExecutorService flusher;

  /**
   * @param what the credentials, in words, for the thread name and the warning when a write fails
   *     ("API tokens")
   */
  LastUses(StoreWriter writer, Table<? extends Record> table, Field<String> id, Field<Long> lastUsedAt, String what) {
    this.writer = writer;
    this.table = table;
    this.id = id;
    this.lastUsedAt = lastUsedAt;
    this.what = what;
    this.flusher = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "turnstile-" + what.toLowerCase().replace(' ', '-') + "-uses");
      t.setDaemon(true);
      return t;
    });
    flusher.scheduleWithFixedDelay(this::flushQuietly, FLUSH_EVERY.toMillis(), FLUSH_EVERY.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /** Notes a use at {@code atMillis}; cheap, for the request path. */
  void note(String credentialId, long atMillis) {
    pending.merge(credentialId, atMillis, Math::max);
  }

  /** The use noted and not written yet, or null. */
  Long pending(String credentialId) {
    return pending.get(credentialId);
  }

  /** Writes the uses noted since the last flush, in one transaction. */
  void flush() {
    if (pending.isEmpty()) {
      return;
    }
    Map<String, Long> batch = new HashMap<>();
    for (String key : List.copyOf(pending.keySet())) {
      Long at = pending.remove(key);
      if (at != null) {
        batch.put(key, at);
      }
    }
    try {
      writer.writeWithoutEvents(tx -> {
        tx.batch(batch.entrySet().stream()
            .map(e -> tx.update(table).set(lastUsedAt, e.getValue())
                .where(id.eq(e.getKey()), lastUsedAt.isNull().or(lastUsedAt.lt(e.getValue()))))
            .toList()).execute();
        return null;
      });
    } catch (RuntimeException e) {
      // Kept for the next flush: the database may be back by then.
      batch.forEach((key, at) -> pending.merge(key, at, Math::max));
      throw e;
    }
  }

  private void flushQuietly() {
    try {
      flush();
    } catch (RuntimeException e) {
      log.warn("cannot write the last use of {} yet: {}", what, e.getMessage());
    }
  }

  /** Stops the flusher after writing what it holds. */
  @Override
  public void close() {
    flusher.shutdown();
    try {
      flusher.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    flushQuietly();
  }
}
