package io.turnstile.benchmarks;

import io.turnstile.testkit.Distribution;
import io.turnstile.testkit.Nginx;
import io.turnstile.testkit.Proc;
import io.turnstile.testkit.Seeder;
import io.turnstile.testkit.TurnstileProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Turnstile side by side with its peers, in one run on one machine, all on loopback: the upstream
 * itself (CNCF distribution with Basic auth), nginx in front of it, distribution's pull-through
 * cache, and Turnstile. Writes a markdown report; the sections on Turnstile's own blob cache are
 * {@link BlobCacheSections}.
 *
 * <p>Usage: {@code PeerBenchmarks [--quick] [--blobs] REPORT.md}; {@code --blobs} runs the blob
 * sections only (throughput, concurrency, the blob cache).
 */
public final class PeerBenchmarks {
  private final boolean quick;
  private final boolean blobsOnly;
  private final StringBuilder report;

  private PeerBenchmarks(boolean quick, boolean blobsOnly, StringBuilder report) {
    this.report = report;
    this.quick = quick;
    this.blobsOnly = blobsOnly;
  }

  public static void main(String[] args) throws Exception {
    Report.main(args, (quick, all, report) -> new PeerBenchmarks(quick, all.contains("--blobs"), report).run());
  }

  private void line(String s) {
    Report.line(report, s);
  }

  private void run() throws Exception {
    int bigMib = quick ? 64 : 256;
    int runs = quick ? 2 : 5;
    Duration load = Duration.ofSeconds(quick ? 3 : 10);
    Path dir = Files.createTempDirectory("turnstile-bench");
    Path storage = dir.resolve("storage");
    line("## Peers (" + (quick ? "quick" : "full") + " run, " + bigMib + " MiB blob, " + runs + " runs per figure)");
    line("");
    try (Distribution upstream = Distribution.basic(dir.resolve("upstream"), storage, Map.of("vendor", "vendor-secret")).start()) {
      Seeder seeder = new Seeder(upstream.url(), "vendor", "vendor-secret").seedAll();
      Seeder.Pushed big = seeder.bigImage("vendor/big", "1.0.0", bigMib);
      String layer = big.layers().get(0);
      long bytes = (long) bigMib << 20;
      try (Distribution anonymous = Distribution.anonymousReadOnly(dir.resolve("anonymous"), storage).start();
          Nginx nginx = Nginx.basicAuthProxy(dir.resolve("nginx"), upstream.port, "vendor", "vendor-secret").start();
          TurnstileProcess turnstile = new TurnstileProcess(dir.resolve("turnstile")).tagTtl("60s")
              .jvmArgs(System.getProperty("turnstile.transport") == null ? List.of()
                  : List.of("-Dturnstile.transport=" + System.getProperty("turnstile.transport")))
              .start(upstream.url(), "vendor", "vendor-secret")) {
        Login licensee = Login.license(turnstile, "1.0.0", "1.1.0", "2.0.0");
        // Tokens live 5 minutes: each section takes a fresh one, as a client would.
        Supplier<String> freshBearer =
            () -> licensee.bearer(turnstile, "repository:vendor/big:pull repository:vendor/app:pull");
        String bearer = freshBearer.get();
        Login vendor = new Login("vendor", "vendor-secret");
        String vendorBasic = vendor.basic();
        line("- upstream: distribution " + version() + " with htpasswd (bcrypt) Basic auth");
        line("- nginx: `proxy_pass` to the upstream, `proxy_buffering off`, upstream Authorization set by nginx");
        line("- distribution pull-through: `proxy.remoteurl` to a second, anonymous, read-only distribution process on the "
            + "upstream's storage directory (distribution 2.8 answers 500 UNAUTHORIZED when its remote uses Basic auth)");
        line("- Turnstile: the built jar, `-Xmx256m`, default settings (" + transport(turnstile) + " transport), clients with a Bearer token");
        line("");

        // 1. One client, one big blob.
        line("### 1. Blob throughput, one client (`curl` to /dev/null, seconds for " + bigMib + " MiB)");
        line("");
        line("Each peer serves one unmeasured download first (JIT warm-up, page cache).");
        line("");
        Curl.download(upstream.url() + "/v2/vendor/big/blobs/" + layer, vendorBasic, bytes);
        Curl.download(nginx.url() + "/v2/vendor/big/blobs/" + layer, null, bytes);
        Curl.download(turnstile.url() + "/v2/vendor/big/blobs/" + layer, bearer, bytes);
        Stats direct = Stats.of(runs, () -> Curl.download(upstream.url() + "/v2/vendor/big/blobs/" + layer, vendorBasic, bytes));
        Stats viaNginx = Stats.of(runs, () -> Curl.download(nginx.url() + "/v2/vendor/big/blobs/" + layer, null, bytes));
        List<Double> cold = new ArrayList<>();
        List<Double> warm = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
          try (Distribution pull = Distribution.pullThrough(dir.resolve("pull-" + i), dir.resolve("pull-storage-" + i),
              anonymous.url()).start()) {
            cold.add(Curl.download(pull.url() + "/v2/vendor/big/blobs/" + layer, null, bytes));
            Thread.sleep(2000);
            warm.add(Curl.download(pull.url() + "/v2/vendor/big/blobs/" + layer, null, bytes));
          }
        }
        bearer = freshBearer.get();
        String blobBearer = bearer;
        Stats ts = Stats.of(runs, () -> Curl.download(turnstile.url() + "/v2/vendor/big/blobs/" + layer, blobBearer, bytes));
        Stats pullWarm = Stats.of(warm);
        line("| peer | seconds | MiB/s (median) | Turnstile / peer (time) |");
        line("|---|---|---|---|");
        for (var e : List.of(Map.entry("direct", direct), Map.entry("nginx", viaNginx),
            Map.entry("pull-through, cold", Stats.of(cold)), Map.entry("pull-through, warm", Stats.of(warm)),
            Map.entry("Turnstile", ts))) {
          line(String.format("| %s | %s | %.0f | %.2f |", e.getKey(), e.getValue().format("s", "%.2f"),
              bigMib / e.getValue().median(), ts.median() / e.getValue().median()));
        }
        line("");

        // 2. Concurrency.
        line("### 2. Concurrent pulls of the blob (aggregate MiB/s; Turnstile's peak RSS)");
        line("");
        line("| clients | direct | Turnstile | Turnstile / direct | failed | Turnstile peak RSS |");
        line("|---|---|---|---|---|---|");
        for (int clients : quick ? List.of(16) : List.of(16, 64)) {
          double d = Curl.concurrent(clients, upstream.url() + "/v2/vendor/big/blobs/" + layer, vendorBasic, bytes);
          double t = Curl.concurrent(clients, turnstile.url() + "/v2/vendor/big/blobs/" + layer, freshBearer.get(), bytes);
          long rss = turnstile.peakRssKb();
          line(String.format("| %d | %.0f | %.0f | %.2f | %d | %d MB |", clients, Math.abs(d), Math.abs(t), Math.abs(t) / Math.abs(d),
              (d < 0 ? 1 : 0) + (t < 0 ? 1 : 0), rss / 1024));
        }
        line("");

        // 2a. The blob cache.
        Supplier<Double> uncached = () -> Curl.download(turnstile.url() + "/v2/vendor/big/blobs/" + layer, freshBearer.get(), bytes);
        new BlobCacheSections(this::line, quick)
            .run(dir, upstream, vendor, layer, bytes, bigMib, runs, direct, viaNginx, pullWarm, ts, uncached);
        new ThrottledHerd(this::line, quick).run(dir, upstream, vendor, layer, bytes, bigMib);
        new UpstreamOutageSection(this::line).run(dir, storage, layer, bytes, bigMib, load);
        if (blobsOnly) {
          return;
        }

        // 3. Manifest rate.
        line("### 3. Manifest requests (`hey -c 32`, " + load.toSeconds() + " s per run; median of runs with ranges)");
        line("");
        String accept = "Accept: " + Seeder.OCI_MANIFEST;
        String digest = seeder.get("vendor/app", "1.0.0").digest();
        line("| request | direct | nginx | Turnstile |");
        line("|---|---|---|---|");
        for (String[] req : new String[][] {{"HEAD", "manifests/1.0.0"}, {"GET", "manifests/1.0.0"},
            {"HEAD", "manifests/" + digest}, {"GET", "manifests/" + digest}}) {
          int n = quick ? 1 : 3;
          String hd = Hey.repeated(n, () -> Hey.run(upstream.url() + "/v2/vendor/app/" + req[1], req[0], List.of(vendorBasic, accept), 32, load, 0));
          String hn = Hey.repeated(n, () -> Hey.run(nginx.url() + "/v2/vendor/app/" + req[1], req[0], List.of(accept), 32, load, 0));
          String ht = Hey.repeated(n, () -> Hey.run(turnstile.url() + "/v2/vendor/app/" + req[1], req[0],
              List.of(freshBearer.get(), accept), 32, load, 0));
          line("| " + req[0] + " by " + (req[1].contains(":") ? "digest" : "tag") + " | " + hd + " | " + hn + " | " + ht + " |");
        }
        line("");

        // 4. Tokens.
        line("### 4. Token issuance (GET /token with Basic license credentials, ES256; the same key and grant, so tokens are reused)");
        line("");
        String tokenUrl = turnstile.url() + "/token?service=turnstile&scope=repository:vendor/app:pull";
        String basicLicense = licensee.basic();
        int n = quick ? 1 : 3;
        line("- saturated (`hey -c 32`): " + Hey.repeated(n, () -> Hey.run(tokenUrl, "GET", List.of(basicLicense), 32, load, 0)));
        line("- paced at 1,000 req/s (`hey -c 10 -q 100`): "
            + Hey.repeated(n, () -> Hey.run(tokenUrl, "GET", List.of(basicLicense), 10, load, 100)));
        line("");
        line("Every token freshly signed: Turnstiles with `token.ttl: 60s`, which leaves no room to reuse a token, "
            + "signing in native code (the default where it loads) and with the JDK's providers "
            + "(`token.nativeSignatures: false`), one after the other:");
        line("");
        line("| signatures | saturated (`hey -c 32`) | paced at 1,000 req/s (`hey -c 10 -q 100`) |");
        line("|---|---|---|");
        for (boolean nativeSignatures : List.of(true, false)) {
          try (TurnstileProcess fresh = new TurnstileProcess(dir.resolve("turnstile-fresh-" + nativeSignatures))
              .tokenTtl("60s").nativeSignatures(nativeSignatures).start(upstream.url(), "vendor", "vendor-secret")) {
            String freshBasic = Login.license(fresh, "1.0.0").basic();
            String freshUrl = fresh.url() + "/token?service=turnstile&scope=repository:vendor/app:pull";
            Hey.run(freshUrl, "GET", List.of(freshBasic), 32, Duration.ofSeconds(3), 0);
            String saturated = Hey.repeated(n, () -> Hey.run(freshUrl, "GET", List.of(freshBasic), 32, load, 0));
            String paced = Hey.repeated(n, () -> Hey.run(freshUrl, "GET", List.of(freshBasic), 10, load, 100));
            line("| " + (nativeSignatures ? "native (" + signer(fresh) + ")" : "JDK") + " | " + saturated + " | "
                + paced + " |");
          }
        }
        line("");

        // 6. Real client.
        line("### 6. `skopeo copy` of vendor/big:1.0.0 to an OCI directory (seconds)");
        line("");
        Proc.require("skopeo");
        Stats skDirect = Stats.of(quick ? 1 : 3, () -> skopeo(dir, upstream.url(), vendor.pair()));
        Stats skTurnstile = Stats.of(quick ? 1 : 3, () -> skopeo(dir, turnstile.url(), licensee.pair()));
        line("| path | seconds | Turnstile / direct |");
        line("|---|---|---|");
        line("| direct | " + skDirect.format("s", "%.2f") + " | |");
        line(String.format("| Turnstile | %s | %.2f |", skTurnstile.format("s", "%.2f"), skTurnstile.median() / skDirect.median()));
        line("");
        line("Turnstile's peak RSS over the whole run: " + turnstile.peakRssKb() / 1024 + " MB.");
      }
    }
  }

  private static double skopeo(Path dir, String registry, String creds) {
    Path target = dir.resolve("skopeo-" + System.nanoTime());
    long t0 = System.nanoTime();
    Proc.Result r = Proc.run(List.of("skopeo", "copy", "--src-tls-verify=false", "--src-creds", creds,
        "docker://" + registry.substring("http://".length()) + "/vendor/big:1.0.0", "oci:" + target + ":1.0.0"),
        Map.of(), null, Duration.ofMinutes(10));
    double seconds = (System.nanoTime() - t0) / 1e9;
    if (r.exit() != 0) {
      throw new IllegalStateException("skopeo copy failed: " + r.all());
    }
    Proc.run(Map.of(), "rm", "-rf", target.toString());
    return seconds;
  }

  /** The token signer a Turnstile named at start, from its log. */
  private static String signer(TurnstileProcess t) throws Exception {
    return Files.readAllLines(t.log()).stream().filter(l -> l.contains("token signatures by"))
        .map(l -> l.substring(l.indexOf("token signatures by") + "token signatures by".length()).trim())
        .findFirst().orElse("?");
  }

  private static String transport(TurnstileProcess t) {
    try {
      String log = Files.readString(t.log());
      return log.contains("epoll transport") ? "epoll" : log.contains("nio transport") ? "NIO" : "default";
    } catch (java.io.IOException e) {
      return "default";
    }
  }

  private static String version() {
    Proc.Result r = Proc.run(Map.of(), Proc.require("docker-registry"), "--version");
    String v = r.all().trim();
    return v.isEmpty() ? "(docker-registry)" : v.substring(v.lastIndexOf(' ') + 1);
  }
}
