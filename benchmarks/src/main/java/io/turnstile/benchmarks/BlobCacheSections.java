package io.turnstile.benchmarks;

import io.turnstile.testkit.Distribution;
import io.turnstile.testkit.Proc;
import io.turnstile.testkit.TurnstileProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Sections 2a to 2c of the peer report: a second Turnstile with a blob cache on the same upstream.
 * One client cold (the cache's file deleted before each run, so the blob streams from the upstream
 * into the cache), each run paired with an uncached one, and warm (from the file, by sendfile), set
 * beside the peers' figures of section 1;
 * concurrent warm pulls; and 64 clients asking for one cold blob at once, with the upstream's
 * fetches counted in its own access log. The warm runs go first so that they do not pay for the
 * cold runs' writes.
 */
final class BlobCacheSections {
  private final Consumer<String> line;
  private final boolean quick;

  /** @param line appends one line to the report */
  BlobCacheSections(Consumer<String> line, boolean quick) {
    this.line = line;
    this.quick = quick;
  }

  /**
   * Runs the sections against {@code upstream}'s blob {@code layer} of {@code bytes}. The figures
   * {@code direct}, {@code viaNginx}, {@code pullWarm} and {@code noCache} are section 1's for the
   * same blob, set beside the cache's; {@code noCacheRun} times one more download of it from the
   * uncached Turnstile, for the cold runs' side-by-side pairs; {@code vendor} is the upstream's own
   * login, for the direct concurrent pulls.
   */
  void run(Path dir, Distribution upstream, Login vendor, String layer, long bytes, int bigMib, int runs,
      Stats direct, Stats viaNginx, Stats pullWarm, Stats noCache, Supplier<Double> noCacheRun) throws Exception {
    int pairs = 2 * runs;
    Path cacheDir = dir.resolve("blob-cache");
    try (TurnstileProcess cached = cachedTurnstile(dir.resolve("turnstile-cached"), cacheDir)
        .start(upstream.url(), "vendor", "vendor-secret")) {
      Login licensee = Login.license(cached, "1.0.0");
      String url = cached.url() + "/v2/vendor/big/blobs/" + layer;
      Path file = cachedFile(cacheDir, layer);
      String auth = licensee.bearer(cached, "repository:vendor/big:pull");
      Curl.download(url, auth, bytes);
      awaitFile(file);
      Curl.download(url, auth, bytes);
      // Warm first: the cold runs write and flush the blob again each time, which the warm runs
      // should not pay for.
      Stats warmCache = Stats.of(runs, () -> Curl.download(url, auth, bytes));
      // Cold and uncached side by side, alternating which goes first, so that a change in the
      // machine's load between them moves both: the machine is shared.
      List<Double> cold = new ArrayList<>();
      List<Double> uncached = new ArrayList<>();
      List<Double> ratios = new ArrayList<>();
      for (int i = 0; i < pairs; i++) {
        double u = i % 2 == 0 ? noCacheRun.get() : 0;
        Files.delete(file);
        double c = Curl.download(url, auth, bytes);
        awaitFile(file);
        if (i % 2 == 1) {
          u = noCacheRun.get();
        }
        cold.add(c);
        uncached.add(u);
        ratios.add(c / u);
      }
      Stats coldCache = Stats.of(cold);
      Stats noCacheBeside = Stats.of(uncached);
      line.accept("### 2a. Blob cache (`upstreams[].cache.blobs`), one client (seconds for " + bigMib + " MiB)");
      line.accept("");
      line.accept("A second Turnstile with a blob cache, in the same run. Cold: the cached file is deleted before each run, so "
          + "the blob streams from the upstream to the client and into the cache at once (hashed, written off the event "
          + "loop, moved into place when verified). Warm: served from the file by sendfile.");
      line.accept("");
      line.accept("| path | seconds | MiB/s (median) | time / direct | nginx time / this |");
      line.accept("|---|---|---|---|---|");
      for (var e : List.of(Map.entry("direct", direct), Map.entry("nginx", viaNginx),
          Map.entry("distribution pull-through, warm", pullWarm), Map.entry("Turnstile, no cache", noCache),
          Map.entry("Turnstile, no cache, beside the cold runs", noCacheBeside),
          Map.entry("Turnstile, cache cold", coldCache), Map.entry("Turnstile, cache warm", warmCache))) {
        line.accept(String.format("| %s | %s | %.0f | %.2f | %.2f |", e.getKey(), e.getValue().format("s", "%.2f"),
            bigMib / e.getValue().median(), e.getValue().median() / direct.median(),
            viaNginx.median() / e.getValue().median()));
      }
      line.accept("");
      Stats ratio = Stats.of(ratios);
      line.accept(String.format("Cache cold against no cache, side by side (%d pairs, each an uncached download next to a cold one, "
          + "alternating which goes first): cold / uncached %.2f (min %.2f, max %.2f); medians %.2f s against %.2f s, %.2f. "
          + "Goal: at most 1.15.", pairs, ratio.median(), ratio.min(), ratio.max(), coldCache.median(), noCacheBeside.median(),
          coldCache.median() / noCacheBeside.median()));
      line.accept("");
      line.accept("### 2b. Blob cache, concurrent warm pulls (aggregate MiB/s; the cached Turnstile's peak RSS at `-Xmx256m`)");
      line.accept("");
      line.accept("| clients | direct | Turnstile, cache warm | cache warm / direct | failed | peak RSS |");
      line.accept("|---|---|---|---|---|---|");
      for (int clients : quick ? List.of(16) : List.of(16, 64)) {
        double d = Curl.concurrent(clients, upstream.url() + "/v2/vendor/big/blobs/" + layer, vendor.basic(), bytes);
        double t = Curl.concurrent(clients, url, licensee.bearer(cached, "repository:vendor/big:pull"), bytes);
        line.accept(String.format("| %d | %.0f | %.0f | %.2f | %d | %d MB |", clients, Math.abs(d), Math.abs(t),
            Math.abs(t) / Math.abs(d), (d < 0 ? 1 : 0) + (t < 0 ? 1 : 0), cached.peakRssKb() / 1024));
      }
      line.accept("");
      line.accept("### 2c. Blob cache, 64 clients asking for one cold blob at once");
      line.accept("");
      Files.delete(file);
      long before = upstreamGets(upstream, layer);
      long t0 = System.nanoTime();
      double t = Curl.concurrent(64, url, licensee.bearer(cached, "repository:vendor/big:pull"), bytes);
      double seconds = (System.nanoTime() - t0) / 1e9;
      awaitFile(file);
      long fetches = upstreamGets(upstream, layer) - before;
      line.accept(String.format("- upstream fetches of the blob (GET lines in the upstream's access log): %d", fetches));
      line.accept(String.format("- all 64 complete in %.2f s (aggregate %.0f MiB/s), %s", seconds, Math.abs(t),
          t < 0 ? "some FAILED" : "none failed"));
      line.accept("- the cached Turnstile's peak RSS over this section: " + cached.peakRssKb() / 1024 + " MB");
      line.accept("");
    }
  }

  /** A Turnstile in {@code dir} with a blob cache in {@code cacheDir}, on the run's transport; not started. */
  static TurnstileProcess cachedTurnstile(Path dir, Path cacheDir) {
    return new TurnstileProcess(dir).tagTtl("60s")
        .jvmArgs(System.getProperty("turnstile.transport") == null ? List.of()
            : List.of("-Dturnstile.transport=" + System.getProperty("turnstile.transport")))
        .blobCache(cacheDir, "4GiB");
  }

  /** Where the blob {@code layer} lands in the cache in {@code cacheDir}. */
  static Path cachedFile(Path cacheDir, String layer) {
    String hex = layer.substring("sha256:".length());
    return cacheDir.resolve("sha256").resolve(hex.substring(0, 2)).resolve(hex);
  }

  /** Waits for a download into the cache to land: the file appears just after the client's last byte. */
  static void awaitFile(Path file) {
    Proc.await("the cached blob " + file, Duration.ofSeconds(60), () -> Files.exists(file));
  }

  /** GETs of the blob the upstream has logged so far. */
  static long upstreamGets(Distribution upstream, String layer) throws Exception {
    String asked = "\"GET /v2/vendor/big/blobs/" + layer;
    try (var lines = Files.lines(upstream.log())) {
      return lines.filter(l -> l.contains(asked)).count();
    }
  }
}
