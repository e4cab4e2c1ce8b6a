package io.turnstile.store;

import java.time.Instant;
import java.util.Objects;

/**
 * One write to the pull audit log: a record inserted as soon as its pull is answered, or the
 * completion of one written before, once the blobs that followed it are counted.
 */
public sealed interface PullWrite {
  /**
   * A new record.
   *
   * @param id the record's id, from {@link PullLog#newId()}, by which a later {@link Complete} names it
   */
  record Insert(String id, PullRecord record) implements PullWrite {
    public Insert {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(record, "record");
    }
  }

  /**
   * The final counts of the record {@code id}, first written at {@code at}: the blob bytes joined to
   * it and the identical GETs it stands for. A record no longer there (pruned) is left alone.
   */
  record Complete(String id, Instant at, long blobBytes, int count) implements PullWrite {
    public Complete {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(at, "at");
      if (count < 1) {
        throw new IllegalArgumentException("count must be at least 1");
      }
    }
  }
}
