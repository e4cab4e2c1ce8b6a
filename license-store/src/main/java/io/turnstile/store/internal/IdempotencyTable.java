package io.turnstile.store.internal;

import io.turnstile.store.IdempotencyKeyUsedException;
import io.turnstile.store.IdempotencyKeys;
import java.time.Clock;
import java.util.Optional;
import java.util.function.Supplier;
import org.jooq.DSLContext;
import org.jooq.Record;

/**
 * The {@code idempotency_keys} table. {@link #claiming} binds the key to the calling thread; the
 * writer's next transaction that records events calls {@link #claim}, which inserts the key in it,
 * so the key and the change commit together or not at all. Plain SQL: the statements are few, and
 * {@code ON CONFLICT DO NOTHING} is spelled alike by SQLite and PostgreSQL.
 */
final class IdempotencyTable implements IdempotencyKeys {
  /** The key bound to this thread's admin call, until a transaction records it. */
  private static final ThreadLocal<Pending> PENDING = new ThreadLocal<>();

  private final StoreWriter writer;
  private final Clock clock;

  IdempotencyTable(StoreWriter writer, Clock clock) {
    this.writer = writer;
    this.clock = clock;
  }

  private static final class Pending {
    final String actor;
    final String key;
    final String fingerprint;
    boolean recorded;

    Pending(String actor, String key, String fingerprint) {
      this.actor = actor;
      this.key = key;
      this.fingerprint = fingerprint;
    }
  }

  /**
   * Inside a write transaction: records the thread's pending key, if any and not yet recorded.
   * When the key is already there (another request committed it first), throws, which rolls the
   * transaction back.
   */
  static void claim(DSLContext tx, Clock clock) {
    Pending p = PENDING.get();
    if (p == null || p.recorded) {
      return;
    }
    long now = clock.millis();
    tx.execute("DELETE FROM idempotency_keys WHERE created_at < ?", now - RETENTION.toMillis());
    int inserted = tx.execute("INSERT INTO idempotency_keys (actor, idem_key, fingerprint, created_at)"
        + " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", p.actor, p.key, p.fingerprint, now);
    if (inserted == 0) {
      throw new IdempotencyKeyUsedException(p.key);
    }
    // Set before the commit: when the commit fails, the caller's answer is an error, not recorded.
    p.recorded = true;
  }

  @Override
  public Optional<Recorded> find(String actor, String key) {
    // Asked before every keyed write: while the database is known to be down, refuse at once too.
    writer.database().reachability().refuseIfUnreachable();
    DSLContext dsl = writer.database().dsl();
    try {
      Record r = dsl.fetchOne("SELECT fingerprint, status, response, secret_withheld FROM idempotency_keys"
          + " WHERE actor = ? AND idem_key = ? AND created_at >= ?", actor, key,
          clock.millis() - RETENTION.toMillis());
      if (r == null) {
        return Optional.empty();
      }
      Number status = (Number) r.get(1);
      Number withheld = (Number) r.get(3);
      return Optional.of(new Recorded((String) r.get(0), status == null ? null : status.intValue(),
          (String) r.get(2), withheld != null && withheld.intValue() != 0));
    } catch (RuntimeException e) {
      throw writer.database().translate(e);
    }
  }

  @Override
  public <T> Claimed<T> claiming(String actor, String key, String fingerprint, Supplier<T> call) {
    Pending p = new Pending(actor, key, fingerprint);
    Pending outer = PENDING.get();
    PENDING.set(p);
    try {
      T result = call.get();
      return new Claimed<>(result, p.recorded);
    } finally {
      if (outer == null) {
        PENDING.remove();
      } else {
        PENDING.set(outer);
      }
    }
  }

  @Override
  public void answer(String actor, String key, int status, String response, boolean secretWithheld) {
    writer.writeWithoutEvents(tx -> tx.execute("UPDATE idempotency_keys SET status = ?, response = ?,"
        + " secret_withheld = ? WHERE actor = ? AND idem_key = ?", status, response, secretWithheld ? 1 : 0,
        actor, key));
  }
}
