package io.turnstile.store;

import java.time.Duration;
import java.time.Instant;

/**
 * The store's state and counters since it was opened, for metrics and readiness.
 *
 * @param statementsExecuted SQL statements sent to the database, reads and writes alike; a batch
 *     counts once. Authorization reads the snapshot only and never adds to it.
 * @param cursor the last event the snapshot reflects
 * @param reachable whether the database answered the last look for other replicas' writes (always
 *     true for SQLite, which one process owns)
 * @param lastContact when the database last answered that look; null for SQLite
 * @param snapshotAt when the current snapshot was made (at opening, or when a write applied since
 *     changed it), by the store's clock
 * @param lastReload how long making the current snapshot took, reading the database included
 * @param following whether the thread that follows other replicas' writes runs (always true for
 *     SQLite, which has none); false once it has ended, by closing the store or by an error
 * @param unreachableSince since when the database is known to be unreachable (writes are refused
 *     meanwhile); null while it answers, and always for SQLite
 */
public record StoreStats(long statementsExecuted, long cursor, boolean reachable, Instant lastContact,
    Instant snapshotAt, Duration lastReload, boolean following, Instant unreachableSince) {}
