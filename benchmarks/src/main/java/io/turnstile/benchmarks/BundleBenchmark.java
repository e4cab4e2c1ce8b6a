package io.turnstile.benchmarks;

import io.turnstile.testkit.Distribution;
import io.turnstile.testkit.Proc;
import io.turnstile.testkit.Seeder;
import io.turnstile.testkit.TurnstileProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * An air-gap bundle of one version holding a 1 GiB image (64 MiB with {@code --quick}), streamed
 * by Turnstile at {@code -Xmx256m} from a distribution upstream to {@code curl} writing to
 * /dev/null, beside a plain pull of the same image's layer through Turnstile, with Turnstile's peak
 * RSS over the run. The bundle is the whole archive (tar headers, manifests and every blob), so its
 * bytes are a little more than the layer's.
 *
 * <p>Usage: {@code BundleBenchmark [--quick] REPORT.md}.
 */
public final class BundleBenchmark {
  private BundleBenchmark() {}

  public static void main(String[] args) throws Exception {
    Report.main(args, (quick, all, report) -> run(quick, report));
  }


  private static void run(boolean quick, StringBuilder report) throws Exception {
    int mib = quick ? 64 : 1024;
    int runs = quick ? 2 : 3;
    Path dir = Files.createTempDirectory("turnstile-bench-bundle");
    try (Distribution upstream = Distribution.basic(dir.resolve("upstream"), dir.resolve("storage"),
        Map.of("vendor", "vendor-secret")).start()) {
      Seeder seeder = new Seeder(upstream.url(), "vendor", "vendor-secret");
      String layer = seeder.bigImage("vendor/big", "1.0.0", mib).layers().get(0);
      long layerBytes = (long) mib << 20;
      try (TurnstileProcess turnstile = new TurnstileProcess(dir.resolve("turnstile")).start(upstream.url(), "vendor",
          "vendor-secret")) {
        Login licensee = Login.license(turnstile, "1.0.0");
        String bundle = turnstile.url() + "/bundles/" + licensee.user() + "?version=1.0.0";
        long bundleBytes = contentLength(bundle, licensee);
        String bearer = licensee.bearer(turnstile, "repository:vendor/big:pull");
        String blob = turnstile.url() + "/v2/vendor/big/blobs/" + layer;
        // One unmeasured download of each first: JIT warm-up, page cache.
        Curl.download(bundle, licensee.basic(), bundleBytes);
        Curl.download(blob, bearer, layerBytes);
        Stats bundled = Stats.of(runs, () -> Curl.download(bundle, licensee.basic(), bundleBytes));
        Stats pulled = Stats.of(runs, () -> Curl.download(blob, bearer, layerBytes));
        long rssMb = turnstile.peakRssKb() / 1024;
        report.append("## Air-gap bundle (").append(quick ? "quick" : "full").append(" run, ").append(mib)
            .append(" MiB image, ").append(runs).append(" runs per figure)\n\n")
            .append("Turnstile: the built jar at `-Xmx256m`, upstream distribution with Basic auth, `curl` to /dev/null; ")
            .append("one unmeasured download of each first.\n\n")
            .append("| download | bytes | seconds min / median / max | MiB/s at the median |\n|---|---|---|---|\n")
            .append(row("bundle `GET /bundles/{license}?version=1.0.0`", bundleBytes, bundled))
            .append(row("plain pull of the layer `GET /v2/vendor/big/blobs/<digest>`", layerBytes, pulled))
            .append("\nBundle throughput at the median: ")
            .append(String.format("%.2f", (bundleBytes / bundled.median()) / (layerBytes / pulled.median())))
            .append("× the plain pull's. Turnstile's peak RSS over the run: ").append(rssMb).append(" MB (goal < 300 MB).\n");
      }
    }
  }

  private static String row(String what, long bytes, Stats s) {
    return String.format("| %s | %,d | %.2f / %.2f / %.2f | %.0f |%n", what, bytes, s.min(), s.median(), s.max(),
        bytes / (1024.0 * 1024.0) / s.median());
  }

  /** The bundle's size, from a HEAD: Turnstile tells it before reading any blob. */
  private static long contentLength(String url, Login login) {
    Proc.Result r = Proc.run(List.of("curl", "-sSI", "-H", login.basic(), url), Map.of(), null, Duration.ofMinutes(2));
    for (String line : r.out().split("\r?\n")) {
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
        return Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
      }
    }
    throw new IllegalStateException("no Content-Length for " + url + ": " + r.out() + r.err());
  }
}
