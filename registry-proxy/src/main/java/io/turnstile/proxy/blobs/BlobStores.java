package io.turnstile.proxy.blobs;

import io.micrometer.core.instrument.MeterRegistry;
import io.turnstile.config.BlobCacheConfig;
import io.turnstile.config.UpstreamConfig;
import java.io.IOException;
import java.security.Provider;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The blob caches of the upstreams that have one, sharing one executor for their file work
 * ({@value #IO_THREADS} threads: downloads write in order, one task at a time each, and a file found
 * at start is hashed there once before it is first served).
 */
public final class BlobStores implements AutoCloseable {
  static final int IO_THREADS = 4;
  /** None: no upstream has a blob cache. */
  public static final BlobStores NONE = new BlobStores(Map.of(), null);

  private final Map<String, BlobStore> byUpstream;
  private final ExecutorService io;

  private BlobStores(Map<String, BlobStore> byUpstream, ExecutorService io) {
    this.byUpstream = byUpstream;
    this.io = io;
  }

  /**
   * Opens the cache of every upstream configured with one; on failure those opened are closed.
   *
   * @param digests computes the blobs' SHA-256: the native provider the server loaded for token
   *     signatures (the Amazon Corretto Crypto Provider, with the CPU's SHA instructions), or null
   *     for the JDK's
   */
  public static BlobStores open(List<UpstreamConfig> upstreams, MeterRegistry meters, Provider digests)
      throws IOException {
    if (upstreams.stream().allMatch(u -> u.cache().blobs() == null)) {
      return NONE;
    }
    AtomicInteger n = new AtomicInteger();
    ExecutorService io = new ThreadPoolExecutor(IO_THREADS, IO_THREADS, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
        r -> {
          Thread t = new Thread(r, "turnstile-blob-io-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    Map<String, BlobStore> stores = new HashMap<>();
    BlobStores all = new BlobStores(stores, io);
    try {
      for (UpstreamConfig u : upstreams) {
        BlobCacheConfig c = u.cache().blobs();
        if (c != null) {
          stores.put(u.name(), BlobStore.open(u.name(), c.directory(), c.maxSize(), io, meters, digests));
        }
      }
    } catch (IOException | RuntimeException e) {
      all.close();
      throw e;
    }
    return all;
  }

  /** The cache of {@code upstream}; null when it has none. */
  public BlobStore of(String upstream) {
    return byUpstream.get(upstream);
  }

  @Override
  public void close() {
    if (io != null) {
      io.shutdown();
      try {
        // Downloads that completed get to land; the rest are started over after a restart.
        io.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    byUpstream.values().forEach(BlobStore::close);
  }
}
