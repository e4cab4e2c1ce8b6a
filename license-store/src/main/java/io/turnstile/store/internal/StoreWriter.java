package io.turnstile.store.internal;

import static io.turnstile.store.internal.db.Tables.LICENSES;

import io.turnstile.store.ConflictException;
import io.turnstile.store.CustomerId;
import io.turnstile.store.License;
import io.turnstile.store.LicenseId;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.NoSuchLicenseException;
import io.turnstile.store.Snapshot;
import io.turnstile.store.StoreUnavailableException;
import io.turnstile.store.internal.db.tables.records.LicensesRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the store's writes one at a time and keeps the snapshot in step with the events table. One
 * lock covers the transaction and the reload: SQLite has one writer, and snapshots must follow
 * commit order, or a slower reload could put back what a later write changed.
 *
 * <p>The snapshot follows the events table through a cursor, the last event applied. After each
 * write, and whenever the {@link ChangeFeed} hears of a write made by another replica, {@link
 * #catchUp} reads the events after the cursor and reloads only the customers they name. On
 * PostgreSQL every write takes a transaction-scoped advisory lock before numbering its events, so
 * event numbers follow commit order across replicas and a replica never skips one, and sends
 * {@code NOTIFY turnstile_events} in the same transaction.
 */
final class StoreWriter {
  private static final Logger log = LoggerFactory.getLogger(StoreWriter.class);
  /** What a license change does when the license is already revoked. */
  enum IfRevoked {
    /** Refuse with a {@link ConflictException}: a revoked license is frozen. */
    REFUSE,
    /** Change nothing and answer the license as it is. */
    LEAVE_AS_IS
  }

  /** A change of one license row, and whatever hangs off it, inside the write's transaction. */
  interface LicenseChange {
    void apply(DSLContext tx, LicensesRecord license);
  }

  /** The channel replicas are told of writes on. */
  static final String CHANNEL = "turnstile_events";
  /** Serialises writers across replicas; any constant shared by every replica. */
  private static final long WRITE_LOCK = 0x7475726e7374L;
  /** Most events read at once; beyond them a whole reload is cheaper. */
  private static final int BATCH = 10_000;

  private final Database database;
  private final DSLContext dsl;
  private final SnapshotLoader loader;
  private final Clock clock;
  private final ReentrantLock lock = new ReentrantLock();
  private volatile Snapshot snapshot;
  private volatile long cursor;
  private final List<Follower> followers = new CopyOnWriteArrayList<>();
  private volatile Instant snapshotAt;
  private volatile Duration lastReload;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  /** Writes each write's webhook events in its transaction; null until set. */
  private volatile OutboxWriter outbox;

  /** Loads the whole store into the first snapshot. */
  StoreWriter(Database database, SnapshotLoader loader, Clock clock) {
    this.database = database;
    this.dsl = database.dsl();
    this.loader = loader;
    this.clock = clock;
    long started = System.nanoTime();
    // The cursor is read first: a write landing during the load is applied again, never missed.
    this.cursor = EventLog.lastSeq(dsl);
    publish(loader.loadAll(dsl), started);
  }

  /**
   * Runs {@code load} now and again, under the writer's lock, whenever the events caught up with
   * include one whose action starts with {@code prefix}, or after a gap in the events: for what is
   * kept in memory beside the snapshot (signing keys, API tokens).
   */
  void follow(String prefix, Consumer<DSLContext> load) {
    lock.lock();
    try {
      load.accept(dsl);
      followers.add(new Follower(prefix, load));
      // What the loader read (entitlement fields) reaches the snapshot at once, not at the next write.
      Snapshot current = loader.current(snapshot);
      if (current != snapshot) {
        publish(current, System.nanoTime());
      }
    } catch (RuntimeException e) {
      throw database.translate(e);
    } finally {
      lock.unlock();
    }
  }

  /** Writes the outbox of every later write, in the write's own transaction. */
  void outbox(OutboxWriter writer) {
    this.outbox = writer;
  }

  private record Follower(String prefix, Consumer<DSLContext> load) {}

  /** The database written to, for reads that need no lock. */
  Database database() {
    return database;
  }

  /** The last event the snapshot reflects. */
  long cursor() {
    return cursor;
  }

  /** When the current snapshot was made. */
  Instant snapshotAt() {
    return snapshotAt;
  }

  /** How long making the current snapshot took, reading the database included. */
  Duration lastReload() {
    return lastReload;
  }

  private void publish(Snapshot next, long startedNanos) {
    lastReload = Duration.ofNanos(System.nanoTime() - startedNanos);
    snapshotAt = clock.instant();
    // Made visible last, so that its time and reload duration are in place when a reader sees it.
    snapshot = next;
    for (Runnable l : listeners) {
      try {
        l.run();
      } catch (RuntimeException e) {
        log.warn("a snapshot listener failed", e);
      }
    }
  }

  /** See {@link LicenseStore#onSnapshot}. */
  LicenseStore.Subscription onSnapshot(Runnable listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  Snapshot snapshot() {
    return snapshot;
  }

  /**
   * One transaction, then the snapshot caught up: the events it wrote (and any written meanwhile by
   * other replicas) name what is reloaded.
   */
  <T> T write(Function<DSLContext, T> work) {
    lockForWrite();
    try {
      T result = transaction(work);
      if (catchUpAfterCommit()) {
        outboxCommitted();
      }
      return result;
    } catch (RuntimeException e) {
      throw database.translate(e);
    } finally {
      lock.unlock();
    }
  }

  /** One transaction, numbered in commit order and announced to the other replicas. */
  private <T> T transaction(Function<DSLContext, T> work) {
    return database.transactionResult(tx -> {
      if (database.shared()) {
        tx.execute("SELECT pg_advisory_xact_lock(" + WRITE_LOCK + ")");
      }
      OutboxWriter events = outbox;
      if (events != null) {
        events.begin();
      }
      List<EventLog.Recorded> recorded = events != null && events.active() ? new ArrayList<>() : null;
      T result;
      EventLog.capture(recorded);
      try {
        result = work.apply(tx);
      } finally {
        EventLog.endCapture();
      }
      if (recorded != null && !recorded.isEmpty()) {
        events.afterWork(tx, recorded);
      }
      IdempotencyTable.claim(tx, clock);
      if (database.shared()) {
        tx.execute("NOTIFY " + CHANNEL);
      }
      return result;
    });
  }

  /**
   * Applies the events after the cursor to the snapshot: the customers they name are reloaded; a
   * gap in the numbers (events pruned) or a long backlog reloads everything.
   *
   * @return how many events were applied
   */
  int catchUp() {
    return catchUp(dsl);
  }

  /** {@link #catchUp()} reading through {@code db}: the change feed's own connection. */
  int catchUp(DSLContext db) {
    lock.lock();
    try {
      int applied = 0;
      while (true) {
        long started = System.nanoTime();
        List<EventLog.Change> changes = EventLog.after(db, cursor, BATCH);
        if (changes.isEmpty()) {
          return applied;
        }
        boolean gap = changes.get(0).seq() != cursor + 1
            || changes.stream().anyMatch(c -> c.customer() == null && !c.outsideSnapshot());
        // A whole reload skips the events past this batch: every follower reloads too.
        boolean whole = gap || changes.size() == BATCH;
        for (Follower f : followers) {
          if (whole || changes.stream().anyMatch(c -> c.action().startsWith(f.prefix()))) {
            f.load().accept(db);
          }
        }
        if (whole) {
          long last = EventLog.lastSeq(db);
          publish(loader.loadAll(db), started);
          cursor = last;
          return applied + changes.size();
        }
        Set<String> customers = new LinkedHashSet<>();
        for (EventLog.Change c : changes) {
          if (c.customer() != null) {
            customers.add(c.customer());
          }
        }
        Snapshot next = loader.current(snapshot);
        for (String customer : customers) {
          next = loader.reload(db, next, new CustomerId(customer));
        }
        publish(next, started);
        cursor = changes.get(changes.size() - 1).seq();
        applied += changes.size();
      }
    } catch (RuntimeException e) {
      throw database.translate(e);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Takes the writer's lock for a write. While the database is known to be unreachable a write is
   * refused at once, also while it waits behind another one, instead of each waiting its turn for
   * the pool to give up; while the database answers, a write waits as long as the one before it
   * takes (an import may take seconds).
   */
  private void lockForWrite() {
    try {
      do {
        database.reachability().refuseIfUnreachable();
      } while (!lock.tryLock(50, TimeUnit.MILLISECONDS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreUnavailableException("interrupted while waiting to write; nothing was written", e);
    }
    try {
      database.reachability().refuseIfUnreachable();
    } catch (RuntimeException e) {
      lock.unlock();
      throw e;
    }
  }

  /**
   * Catches up after a commit whose result the caller already has: when the database went away in
   * between, the write stands and its result is answered; the change feed catches up once the
   * database is back.
   */
  private boolean catchUpAfterCommit() {
    try {
      catchUp();
      return true;
    } catch (RuntimeException e) {
      notReadBack(e);
      return false;
    }
  }

  /** Under the lock, after a catch-up: the write's webhook events keep their subjects from the snapshot. */
  private void outboxCommitted() {
    OutboxWriter events = outbox;
    if (events != null) {
      events.committed(snapshot);
    }
  }

  private void notReadBack(RuntimeException e) {
    RuntimeException translated = database.translate(e);
    if (!(translated instanceof StoreUnavailableException)) {
      throw translated;
    }
    log.warn("a change was committed but not yet read back into this replica's snapshot ({}); it will be once"
        + " the database answers", translated.getMessage());
  }

  /**
   * One transaction that changes no customer, license or key, so records no event and leaves the
   * snapshot as it is: for bookkeeping such as first sightings of tags. Serialised with the other
   * writes (SQLite has one writer), but neither numbered nor announced to other replicas.
   */
  <T> T writeWithoutEvents(Function<DSLContext, T> work) {
    lockForWrite();
    try {
      return database.transactionResult(work);
    } catch (RuntimeException e) {
      throw database.translate(e);
    } finally {
      lock.unlock();
    }
  }

  /**
   * One transaction that may touch any number of customers, then a snapshot rebuilt from the whole
   * store: for imports, where reloading customer by customer would cost more.
   */
  <T> T writeAll(Function<DSLContext, T> work) {
    lockForWrite();
    try {
      T result = transaction(work);
      try {
        long started = System.nanoTime();
        long last = EventLog.lastSeq(dsl);
        // The cursor jumps over whatever else was written meanwhile: every follower reloads.
        for (Follower f : followers) {
          f.load().accept(dsl);
        }
        publish(loader.loadAll(dsl), started);
        cursor = last;
        outboxCommitted();
      } catch (RuntimeException e) {
        notReadBack(e);
      }
      return result;
    } catch (RuntimeException e) {
      throw database.translate(e);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Runs {@code change} on license {@code id} in one transaction and answers the license after it.
   * The row is read once, inside the transaction; its customer is the one reloaded.
   */
  License writeLicense(LicenseId id, IfRevoked ifRevoked, LicenseChange change) {
    lockForWrite();
    try {
      LicensesRecord row = transaction(tx -> {
        LicensesRecord r = tx.selectFrom(LICENSES).where(LICENSES.ID.eq(id.value())).fetchOne();
        if (r == null) {
          throw new NoSuchLicenseException(id.value());
        }
        if (r.getRevokedAt() == null) {
          change.apply(tx, r);
        } else if (ifRevoked == IfRevoked.REFUSE) {
          throw new ConflictException("license " + id + " is revoked and cannot be changed");
        }
        return r;
      });
      try {
        catchUp();
        outboxCommitted();
      } catch (RuntimeException e) {
        // Committed, but the license after it cannot be read: the caller learns it was written.
        RuntimeException translated = database.translate(e);
        throw translated instanceof StoreUnavailableException ? database.committedUnread(translated) : translated;
      }
      License fresh = snapshot.license(id);
      if (fresh != null) {
        return fresh;
      }
      // The snapshot holds every license of a live customer, revoked ones too; only a deleted
      // customer's licenses (all revoked) are left out, so this is the rare re-revoke of one.
      return loader.license(dsl, id).orElseThrow(() -> new NoSuchLicenseException(id.value()));
    } catch (RuntimeException e) {
      throw database.translate(e);
    } finally {
      lock.unlock();
    }
  }
}
