package io.turnstile.store.internal;

import org.jooq.BatchBindStep;
import org.jooq.DSLContext;
import org.jooq.Query;

/**
 * Rows for one insert statement, sent as JDBC batches of at most {@link #SIZE}: one round trip per
 * batch rather than per row, and a bounded number of bound rows held at a time.
 */
final class BatchInsert {
  static final int SIZE = 5_000;

  private final DSLContext tx;
  private final Query insert;
  private BatchBindStep batch;
  private int rows;

  /** {@code insert} has one bind value per column; its own values are placeholders. */
  BatchInsert(DSLContext tx, Query insert) {
    this.tx = tx;
    this.insert = insert;
  }

  void add(Object... values) {
    if (batch == null) {
      batch = tx.batch(insert);
    }
    batch.bind(values);
    if (++rows == SIZE) {
      flush();
    }
  }

  /** Sends the rows added since the last batch. */
  void flush() {
    if (batch != null) {
      batch.execute();
      batch = null;
      rows = 0;
    }
  }
}
