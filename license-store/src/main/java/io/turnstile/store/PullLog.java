package io.turnstile.store;

import java.time.Instant;
import java.util.List;

/**
 * The pull audit log's table: blocking, each method one transaction. The server writes to it in
 * batches from one background thread; nothing on a request's path calls it.
 */
public interface PullLog {
  /** Writes {@code records} in one transaction: all of them or, on failure, none. */
  default void append(List<PullRecord> records) {
    write(records.stream().<PullWrite>map(r -> new PullWrite.Insert(newId(), r)).toList());
  }

  /**
   * Applies {@code writes} in order, in one transaction: all of them or, on failure, none. A
   * completion may follow its record's insert in the same list.
   */
  void write(List<PullWrite> writes);

  /** A new record id, unique across every replica writing to this log; at most 32 characters. */
  String newId();

  /**
   * One page of the records {@code query} selects, newest first (by time, then by an id that
   * breaks ties), and a cursor for the next.
   *
   * @throws InvalidInputException naming {@code cursor} when it is not one this log gave
   */
  PullPage find(PullQuery query);

  /** The last pull with license {@code id}, and the versions pulled with it since {@code since}. */
  PullSummary summary(LicenseId id, Instant since);

  /** The last pull of customer {@code id}'s licenses, and the versions they pulled since {@code since}. */
  PullSummary summary(CustomerId id, Instant since);

  /** Deletes the records older than {@code before}; answers how many. */
  long prune(Instant before);
}
