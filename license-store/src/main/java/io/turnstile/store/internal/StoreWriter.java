package io.turnstile.store.internal;

import static io.turnstile.store.internal.db.Tables.LICENSES;

import io.turnstile.store.ConflictException;
import io.turnstile.store.CustomerId;
import io.turnstile.store.License;
import io.turnstile.store.LicenseId;
import io.turnstile.store.NoSuchLicenseException;
import io.turnstile.store.Snapshot;
import io.turnstile.store.internal.db.tables.records.LicensesRecord;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.jooq.DSLContext;

/**
 * Runs the store's writes one at a time and swaps in a new snapshot after each. One lock covers the
 * transaction and the reload: SQLite has one writer, and snapshots must follow commit order, or a
 * slower reload could put back what a later write changed.
 */
final class StoreWriter {
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

  private final DSLContext dsl;
  private final SnapshotLoader loader;
  private final ReentrantLock lock = new ReentrantLock();
  private volatile Snapshot snapshot;

  /** Loads the whole store into the first snapshot. */
  StoreWriter(DSLContext dsl, SnapshotLoader loader) {
    this.dsl = dsl;
    this.loader = loader;
    this.snapshot = loader.loadAll(dsl);
  }

  Snapshot snapshot() {
    return snapshot;
  }

  /** One transaction for {@code customer}, then a snapshot with that customer reloaded. */
  <T> T write(CustomerId customer, Function<DSLContext, T> work) {
    lock.lock();
    try {
      T result = dsl.transactionResult(cfg -> work.apply(cfg.dsl()));
      snapshot = loader.reload(dsl, snapshot, customer);
      return result;
    } finally {
      lock.unlock();
    }
  }

  /**
   * One transaction that may touch any number of customers, then a snapshot rebuilt from the whole
   * store: for imports, where reloading customer by customer would cost more.
   */
  <T> T writeAll(Function<DSLContext, T> work) {
    lock.lock();
    try {
      T result = dsl.transactionResult(cfg -> work.apply(cfg.dsl()));
      snapshot = loader.loadAll(dsl);
      return result;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Runs {@code change} on license {@code id} in one transaction and answers the license after it.
   * The row is read once, inside the transaction; its customer is the one reloaded.
   */
  License writeLicense(LicenseId id, IfRevoked ifRevoked, LicenseChange change) {
    lock.lock();
    try {
      LicensesRecord row = dsl.transactionResult(cfg -> {
        DSLContext tx = cfg.dsl();
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
      snapshot = loader.reload(dsl, snapshot, new CustomerId(row.getCustomerId()));
      License fresh = snapshot.license(id);
      if (fresh != null) {
        return fresh;
      }
      // The snapshot holds every license of a live customer, revoked ones too; only a deleted
      // customer's licenses (all revoked) are left out, so this is the rare re-revoke of one.
      return loader.license(dsl, id).orElseThrow(() -> new NoSuchLicenseException(id.value()));
    } finally {
      lock.unlock();
    }
  }
}
