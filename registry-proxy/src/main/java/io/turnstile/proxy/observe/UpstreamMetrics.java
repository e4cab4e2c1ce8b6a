package io.turnstile.proxy.observe;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.turnstile.proxy.oci.RegistryError;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * Calls to the upstream registries, per upstream and kind of call ({@code registry}, or {@code
 * token} for its token service): answers by status class, the time to each answer's head as a
 * histogram, and failures by kind. Every meter is registered when Turnstile starts, for the
 * upstreams its configuration names.
 */
public final class UpstreamMetrics {
  /** Histogram buckets of the time to an answer's head, from a cached token to a slow registry. */
  private static final Duration[] BUCKETS = {Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
      Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
      Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
      Duration.ofSeconds(30)};

  private final MeterRegistry registry;
  private final Map<String, Calls> registryCalls = new ConcurrentHashMap<>();
  private final Map<String, Calls> tokenCalls = new ConcurrentHashMap<>();

  /** Registers the meters of every upstream in {@code upstreams}. */
  public UpstreamMetrics(MeterRegistry registry, List<String> upstreams) {
    this.registry = registry;
    upstreams.forEach(name -> {
      of(name, false);
      of(name, true);
    });
  }

  /** Calls to {@code upstream}, or to its token service when {@code token}: one map lookup per call. */
  public Calls of(String upstream, boolean token) {
    return (token ? tokenCalls : registryCalls).computeIfAbsent(upstream,
        name -> new Calls(registry, name, token ? "token" : "registry"));
  }

  /**
   * Registers the gauges of {@code upstream}'s connection bound: {@code max} connections, of which
   * {@code inUse} are in use, and {@code waiting} calls waiting for one.
   */
  public void connections(String upstream, int max, IntSupplier inUse, IntSupplier waiting) {
    Gauge.builder("turnstile.upstream.connections.max", () -> max)
        .description("Most connections to the upstream in use at once (upstreams[].maxConnections)")
        .tag("upstream", upstream).register(registry);
    Gauge.builder("turnstile.upstream.connections.in.use", inUse::getAsInt)
        .description("Connections to the upstream carrying a call now, over every event loop")
        .tag("upstream", upstream).register(registry);
    Gauge.builder("turnstile.upstream.connections.waiting", waiting::getAsInt)
        .description("Calls waiting for a connection to the upstream to come free")
        .tag("upstream", upstream).register(registry);
  }

  /** The meters of one upstream and kind of call. */
  public static final class Calls {
    private final Timer latency;
    private final Counter[] byClass = new Counter[6];
    private final Counter timeouts;
    private final Counter unavailable;
    private final Counter failed;

    private Calls(MeterRegistry registry, String upstream, String call) {
      latency = Timer.builder("turnstile.upstream.request.duration")
          .description("Time from a call's start (its authentication included) to the head of the upstream's answer")
          .tag("upstream", upstream).tag("call", call)
          .serviceLevelObjectives(BUCKETS)
          .register(registry);
      for (int c = 1; c <= 5; c++) {
        byClass[c] = Counter.builder("turnstile.upstream.requests")
            .description("Upstream answers, by status class")
            .tag("upstream", upstream).tag("call", call).tag("status", c + "xx").register(registry);
      }
      timeouts = error(registry, upstream, call, "timeout");
      unavailable = error(registry, upstream, call, "unavailable");
      failed = error(registry, upstream, call, "failed");
    }

    private static Counter error(MeterRegistry registry, String upstream, String call, String kind) {
      return Counter.builder("turnstile.upstream.errors")
          .description("Upstream calls that got no usable answer: timed out, unreachable, or failed otherwise")
          .tag("upstream", upstream).tag("call", call).tag("kind", kind).register(registry);
    }

    /** The upstream's answer head arrived {@code nanos} after the call started. */
    public void answered(int status, long nanos) {
      latency.record(nanos, TimeUnit.NANOSECONDS);
      int c = status / 100;
      byClass[c >= 1 && c <= 5 ? c : 5].increment();
    }

    /** The call failed with {@code error} before an answer. */
    public void failed(RegistryError error) {
      (error == RegistryError.UPSTREAM_TIMEOUT ? timeouts
          : error == RegistryError.UPSTREAM_UNAVAILABLE ? unavailable : failed).increment();
    }
  }
}
