package io.turnstile.proxy.audit;

/**
 * The pull audit log's counters since start, for metrics.
 *
 * @param open records held open to count the blobs pulled after them (not yet queued)
 * @param queued records waiting to be written, including a batch being retried
 * @param capacity most records the queue holds; beyond it records are dropped
 * @param dropped records dropped: the queue was full, a batch was refused for a reason other than
 *     an unreachable database, or the server stopped before the database came back
 * @param written records written to the store
 * @param failedWrites batch writes that failed and were retried (or, after retries, dropped)
 */
public record AuditStats(int open, int queued, int capacity, long dropped, long written, long failedWrites) {}
