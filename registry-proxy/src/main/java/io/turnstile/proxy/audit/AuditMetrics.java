package io.turnstile.proxy.audit;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The pull audit log as metrics: its queue (depth and bound), the records held open to count their
 * blobs, and the records written, dropped and the batch writes that failed. Read from
 * {@link PullAuditLog#stats()} at each scrape; nothing is counted on the request path for them.
 */
public final class AuditMetrics {
  private AuditMetrics() {}

  public static void bind(MeterRegistry registry, PullAuditLog log) {
    Gauge.builder("turnstile.audit.queue.depth", log, l -> l.stats().queued())
        .description("Pull records waiting to be written").strongReference(true).register(registry);
    Gauge.builder("turnstile.audit.queue.capacity", log, l -> l.stats().capacity())
        .description("Most pull records the queue holds; beyond it records are dropped").strongReference(true)
        .register(registry);
    Gauge.builder("turnstile.audit.open", log, l -> l.stats().open())
        .description("Pull records held open to count the blobs pulled after their manifest")
        .strongReference(true).register(registry);
    FunctionCounter.builder("turnstile.audit.records.written", log, l -> l.stats().written())
        .description("Pull records written to the store").register(registry);
    FunctionCounter.builder("turnstile.audit.records.dropped", log, l -> l.stats().dropped())
        .description("Pull records dropped: queue full, refused by the database, or unwritten at stop")
        .register(registry);
    FunctionCounter.builder("turnstile.audit.write.failures", log, l -> l.stats().failedWrites())
        .description("Batch writes of pull records that failed (retried, or dropped after retries)")
        .register(registry);
  }
}
