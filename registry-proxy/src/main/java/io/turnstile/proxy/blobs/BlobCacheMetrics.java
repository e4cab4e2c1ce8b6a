package io.turnstile.proxy.blobs;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.Supplier;

/**
 * The meters of one upstream's blob cache, tagged with the upstream: answers from the cache and
 * from the upstream, the bytes sent from each, downloads kept or not, evictions, and the size.
 */
public final class BlobCacheMetrics {
  private final Counter hits;
  private final Counter misses;
  private final Counter bytesFromCache;
  private final Counter bytesFromUpstream;
  private final Counter evictions;
  private final Counter stored;
  private final Counter mismatched;
  private final Counter abandoned;

  BlobCacheMetrics(MeterRegistry registry, String upstream, Supplier<Number> bytes, Supplier<Number> blobs) {
    hits = Counter.builder("turnstile.blobcache.requests").description("Blob GETs answered from the cache (hit) or the upstream (miss)")
        .tag("upstream", upstream).tag("result", "hit").register(registry);
    misses = Counter.builder("turnstile.blobcache.requests").description("Blob GETs answered from the cache (hit) or the upstream (miss)")
        .tag("upstream", upstream).tag("result", "miss").register(registry);
    bytesFromCache = Counter.builder("turnstile.blobcache.sent.bytes").description("Blob bytes sent to clients, by where they came from")
        .baseUnit("bytes").tag("upstream", upstream).tag("source", "cache").register(registry);
    bytesFromUpstream = Counter.builder("turnstile.blobcache.sent.bytes").description("Blob bytes sent to clients, by where they came from")
        .baseUnit("bytes").tag("upstream", upstream).tag("source", "upstream").register(registry);
    evictions = Counter.builder("turnstile.blobcache.evictions").description("Blobs deleted to stay within maxSize")
        .tag("upstream", upstream).register(registry);
    stored = fills(registry, upstream, "stored");
    mismatched = fills(registry, upstream, "mismatch");
    abandoned = fills(registry, upstream, "abandoned");
    Gauge.builder("turnstile.blobcache.size", bytes).description("Bytes of blobs in the cache").baseUnit("bytes")
        .tag("upstream", upstream).register(registry);
    Gauge.builder("turnstile.blobcache.blobs", blobs).description("Blobs in the cache")
        .tag("upstream", upstream).register(registry);
  }

  private static Counter fills(MeterRegistry registry, String upstream, String result) {
    return Counter.builder("turnstile.blobcache.downloads")
        .description("Downloads into the cache: stored (verified and kept), mismatch (digest differed), abandoned"
            + " (interrupted, too large, or the upstream did not answer 200)")
        .tag("upstream", upstream).tag("result", result).register(registry);
  }

  public void hit() {
    hits.increment();
  }

  public void miss() {
    misses.increment();
  }

  public void sentFromCache(long bytes) {
    bytesFromCache.increment(bytes);
  }

  public void sentFromUpstream(long bytes) {
    bytesFromUpstream.increment(bytes);
  }

  void evicted(int n) {
    evictions.increment(n);
  }

  void stored() {
    stored.increment();
  }

  void mismatched() {
    mismatched.increment();
  }

  void abandoned() {
    abandoned.increment();
  }
}
