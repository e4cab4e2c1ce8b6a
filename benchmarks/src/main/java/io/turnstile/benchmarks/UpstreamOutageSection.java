package io.turnstile.benchmarks;

import io.turnstile.testkit.Distribution;
import io.turnstile.testkit.Proc;
import io.turnstile.testkit.Seeder;
import io.turnstile.testkit.TurnstileProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Section 2e of the peer report: pulls while the upstream is down. A Turnstile with a blob cache
 * (and so its manifests kept on disk) in front of its own distribution process on the run's
 * storage, with {@code tagTtl: 1s} so that every second a pull by tag asks the upstream again. A
 * version is pulled once, then the same manifest GET by tag is loaded with {@code hey} and the blob
 * downloaded, with the upstream up and then stopped: the second half is answered from what was kept
 * on disk, by the digest the tag last had. A version never pulled is asked for too, during the
 * outage: it can only be refused.
 */
final class UpstreamOutageSection {
  private final Consumer<String> line;

  /** @param line appends one line to the report */
  UpstreamOutageSection(Consumer<String> line) {
    this.line = line;
  }

  /** Runs the section on {@code storage}'s content: {@code vendor/big:1.0.0}, whose blob {@code layer} has {@code bytes}. */
  void run(Path dir, Path storage, String layer, long bytes, int bigMib, Duration load) throws Exception {
    Distribution own = Distribution.basic(dir.resolve("outage-upstream"), storage, Map.of("vendor", "vendor-secret")).start();
    try (TurnstileProcess t = BlobCacheSections.cachedTurnstile(dir.resolve("turnstile-outage"), dir.resolve("outage-cache"))
        .tagTtl("1s").start(own.url(), "vendor", "vendor-secret")) {
      Login licensee = Login.license(t, "1.0.0");
      String accept = "Accept: " + Seeder.OCI_MANIFEST;
      String manifest = t.url() + "/v2/vendor/big/manifests/1.0.0";
      String blob = t.url() + "/v2/vendor/big/blobs/" + layer;
      String bearer = licensee.bearer(t, "repository:vendor/big:pull repository:vendor/app:pull");
      // Pulled once: the manifest and the blob are on disk, and the tag's digest noted.
      Hey.run(manifest, "GET", List.of(bearer, accept), 1, Duration.ofSeconds(1), 0);
      Curl.download(blob, bearer, bytes);
      BlobCacheSections.awaitFile(BlobCacheSections.cachedFile(dir.resolve("outage-cache"), layer));

      Hey up = Hey.run(manifest, "GET", List.of(bearer, accept), 32, load, 0);
      double blobUp = Curl.download(blob, bearer, bytes);
      own.close();
      Proc.await("the upstream to stop answering", Duration.ofSeconds(30), () -> !answers(own.url()));
      Hey down = Hey.run(manifest, "GET", List.of(bearer, accept), 32, load, 0);
      double blobDown = Curl.download(blob, bearer, bytes);
      String neverPulled = status(t.url() + "/v2/vendor/app/manifests/1.0.0", bearer, accept);

      line.accept("### 2e. Pulls while the upstream is down (`upstreams[].cache`: blobs and kept manifests)");
      line.accept("");
      line.accept("A third Turnstile with a blob cache and `tagTtl: 1s`, in front of its own distribution process on the "
          + "same storage. `vendor/big:1.0.0` is pulled once; then the manifest GET by tag (`hey -c 32`, "
          + load.toSeconds() + " s) and the " + bigMib + " MiB blob (`curl`), with the upstream up, and again after "
          + "the upstream process was stopped (connections refused).");
      line.accept("");
      line.accept("| upstream | manifest GET by tag, req/s | p50 ms | p99 ms | answered 200 | other answers or errors "
          + "| blob, seconds |");
      line.accept("|---|---|---|---|---|---|---|");
      line.accept(String.format("| up | %.0f | %.1f | %.1f | %d | %d | %.2f |", up.requestsPerSecond(), up.p50ms(),
          up.p99ms(), up.ok(), up.failed(), blobUp));
      line.accept(String.format("| down | %.0f | %.1f | %.1f | %d | %d | %.2f |", down.requestsPerSecond(), down.p50ms(),
          down.p99ms(), down.ok(), down.failed(), blobDown));
      line.accept("");
      line.accept("- during the outage, a version never pulled through this Turnstile (`vendor/app:1.0.0`) answered: "
          + neverPulled);
      line.accept(String.format("- down / up, manifest requests per second: %.2f", down.requestsPerSecond()
          / up.requestsPerSecond()));
      line.accept("");
    } finally {
      own.close();
    }
  }

  private static boolean answers(String url) {
    Proc.Result r = Proc.run(List.of("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", url + "/v2/"), Map.of(), null,
        Duration.ofSeconds(10));
    return !r.out().trim().equals("000");
  }

  /** The status and the start of the body of a GET, as curl saw them. */
  private static String status(String url, String bearer, String accept) {
    Proc.Result r = Proc.run(List.of("curl", "-s", "-H", bearer, "-H", accept, "-w", "\n%{http_code}", url), Map.of(), null,
        Duration.ofSeconds(60));
    String out = r.out().trim();
    int cut = out.lastIndexOf('\n');
    String body = cut < 0 ? "" : out.substring(0, cut);
    return (cut < 0 ? out : out.substring(cut + 1)) + " `" + (body.length() > 200 ? body.substring(0, 200) + "…" : body)
        + "`";
  }
}
