package io.turnstile.proxy.observe;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyEventExecutorMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.util.concurrent.EventExecutor;

/**
 * The metrics of one running Turnstile, in Prometheus' text format: the JVM's (memory, GC,
 * threads, classes, CPU, uptime, file descriptors), Netty's buffer allocator and event loops, and
 * Turnstile's own, which {@link RequestMetrics}, {@link UpstreamMetrics}, {@link StoreMetrics} and
 * the caches register here. One registry per server, never a global one, so tests can run several.
 *
 * <p>The pull audit log's queue depth and dropped entries belong here too, when it exists: a gauge
 * {@code turnstile_audit_queue_depth} on its queue and a counter {@code
 * turnstile_audit_dropped_total}, registered by whoever builds it, like the store's.
 */
public final class Metrics implements AutoCloseable {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final JvmGcMetrics gc = new JvmGcMetrics();

  public Metrics() {
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    // Every channel uses the default allocator (adaptive since Netty 4.2).
    if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider allocator) {
      new NettyAllocatorMetrics(allocator).bindTo(registry);
    }
  }

  /** Adds the pending-task gauges of {@code loops}, the event loops Turnstile serves from. */
  public void bindEventLoops(Iterable<EventExecutor> loops) {
    new NettyEventExecutorMetrics(loops).bindTo(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** Every metric, in the Prometheus text format (version 0.0.4). */
  public String scrape() {
    return registry.scrape();
  }

  /** The content type of {@link #scrape()}. */
  public static String contentType() {
    return "text/plain; version=0.0.4; charset=utf-8";
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }
}
