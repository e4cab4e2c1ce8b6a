package io.turnstile.benchmarks;

import io.turnstile.testkit.Distribution;
import io.turnstile.testkit.Nginx;
import io.turnstile.testkit.Proc;
import io.turnstile.testkit.TurnstileProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Section 2d of the peer report: 64 clients asking at once for one blob that is not in the cache,
 * with a slow upstream in between (nginx's {@code limit_rate} in front of distribution, as a
 * registry in another region would be). The first client's request downloads the blob; the others
 * follow the file as it grows. Measured per client by curl: time to the first byte and to the end;
 * and the whole herd, from the first start to the last exit, against one download straight from
 * the throttled upstream. Upstream fetches are counted in distribution's access log.
 */
final class ThrottledHerd {
  /**
   * nginx's rate per connection (10 MiB/s, a little more in practice: it sends in bursts). 64
   * clients following at that pace need about 0.7 GiB/s out of Turnstile, within what this shared
   * 2-core machine serves 64 clients from the page cache (section 2b); at 20m a busy run here
   * measured the machine's ceiling rather than the herd.
   */
  static final String RATE = "10m";
  private static final int CLIENTS = 64;

  private final Consumer<String> line;
  private final boolean quick;

  /** @param line appends one line to the report */
  ThrottledHerd(Consumer<String> line, boolean quick) {
    this.line = line;
    this.quick = quick;
  }

  /** Runs the section against {@code upstream}'s blob {@code layer} of {@code bytes}; {@code vendor} is its own login. */
  void run(Path dir, Distribution upstream, Login vendor, String layer, long bytes, int bigMib) throws Exception {
    int runs = quick ? 1 : 3;
    Path cacheDir = dir.resolve("herd-cache");
    try (Nginx slow = Nginx.throttledProxy(dir.resolve("nginx-throttled"), upstream.port, RATE).start();
        TurnstileProcess cached = BlobCacheSections.cachedTurnstile(dir.resolve("turnstile-herd"), cacheDir)
            .start(slow.url(), "vendor", "vendor-secret")) {
      Login licensee = Login.license(cached, "1.0.0");
      String url = cached.url() + "/v2/vendor/big/blobs/" + layer;
      Path file = BlobCacheSections.cachedFile(cacheDir, layer);
      Stats single = Stats.of(runs, () -> Curl.download(slow.url() + "/v2/vendor/big/blobs/" + layer, vendor.basic(), bytes));

      line.accept("### 2d. Blob cache, " + CLIENTS + " clients asking for one cold blob behind a slow upstream");
      line.accept("");
      line.accept("A third Turnstile with a blob cache, its upstream behind nginx with `limit_rate " + RATE + "` (per connection). "
          + "All " + CLIENTS + " `curl` clients start at once on a cold " + bigMib + " MiB blob; one download from the upstream "
          + "feeds the first and the others follow the file as it is written. Time to first byte and to the end are curl's "
          + "own (`time_starttransfer`, `time_total`); all done is from the first start to the last exit.");
      line.accept("");
      line.accept("- one download straight from the throttled upstream: " + single.format("s", "%.2f"));
      line.accept("");
      line.accept("| run | first byte p50 | first byte p99 | first byte max | slowest client | all done | all done / one download "
          + "| upstream fetches | failed |");
      line.accept("|---|---|---|---|---|---|---|---|---|");
      List<Double> p99s = new ArrayList<>();
      List<Double> ratios = new ArrayList<>();
      for (int i = 1; i <= runs; i++) {
        Files.deleteIfExists(file);
        String auth = licensee.bearer(cached, "repository:vendor/big:pull");
        // The license's reach is worked out once, before the herd: the herd measures the blob alone.
        head(url, auth);
        long before = BlobCacheSections.upstreamGets(upstream, layer);
        Curl.Herd herd = Curl.herd(CLIENTS, url, auth, bytes);
        BlobCacheSections.awaitFile(file);
        long fetches = BlobCacheSections.upstreamGets(upstream, layer) - before;
        double p99 = herd.firstByte().isEmpty() ? Double.NaN : Stats.percentile(herd.firstByte(), 99);
        double slowest = herd.total().isEmpty() ? Double.NaN : Stats.percentile(herd.total(), 100);
        p99s.add(p99);
        ratios.add(herd.seconds() / single.median());
        line.accept(String.format("| %d | %.0f ms | %.0f ms | %.0f ms | %.2f s | %.2f s | %.2f | %d | %d |", i,
            Stats.percentile(herd.firstByte(), 50) * 1000, p99 * 1000, Stats.percentile(herd.firstByte(), 100) * 1000,
            slowest, herd.seconds(), herd.seconds() / single.median(), fetches, herd.failed()));
      }
      line.accept("");
      Stats p99 = Stats.of(p99s);
      Stats ratio = Stats.of(ratios);
      line.accept(String.format("Over the %d runs: first byte p99 %.0f ms (min %.0f, max %.0f), goal under 200 ms; all done / one "
          + "download %.2f (min %.2f, max %.2f), goal at most 1.2.", runs, p99.median() * 1000, p99.min() * 1000,
          p99.max() * 1000, ratio.median(), ratio.min(), ratio.max()));
      line.accept("- the herd Turnstile's peak RSS over this section: " + cached.peakRssKb() / 1024 + " MB");
      line.accept("");
    }
  }

  /** A HEAD of the blob: authorizes without downloading (a cold blob's HEAD is relayed). */
  private static void head(String url, String auth) {
    Proc.Result r = Proc.run(List.of("curl", "-s", "-o", "/dev/null", "-I", "-w", "%{http_code}", "-H", auth, url), Map.of(),
        null, Duration.ofMinutes(1));
    if (!r.out().trim().equals("200")) {
      throw new IllegalStateException("HEAD " + url + " answered " + r.all());
    }
  }
}
