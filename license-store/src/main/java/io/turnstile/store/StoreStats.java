package io.turnstile.store;

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
 */
public record StoreStats(long statementsExecuted, long cursor, boolean reachable, Instant lastContact) {}
