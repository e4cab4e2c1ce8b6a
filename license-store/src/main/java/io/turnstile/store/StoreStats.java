package io.turnstile.store;

/**
 * Counters of the store's work since it was opened, for metrics.
 *
 * @param statementsExecuted SQL statements sent to the database, reads and writes alike; a batch
 *     counts once. Authorization reads the snapshot only and never adds to it.
 */
public record StoreStats(long statementsExecuted) {}
