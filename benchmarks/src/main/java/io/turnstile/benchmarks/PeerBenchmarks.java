package io.turnstile.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.turnstile.testkit.Distribution;
import io.turnstile.testkit.Nginx;
import io.turnstile.testkit.Proc;
import io.turnstile.testkit.Seeder;
import io.turnstile.testkit.TurnstileProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Turnstile side by side with its peers, in one run on one machine, all on loopback: the upstream
 * itself (CNCF distribution with Basic auth), nginx in front of it, distribution's pull-through
 * cache, and Turnstile. Writes a markdown report.
 *
 * <p>Usage: {@code PeerBenchmarks [--quick] [--blobs] REPORT.md}; {@code --blobs} runs the blob
 * sections only (throughput, concurrency, the blob cache).
 */
public final class PeerBenchmarks {
  private final boolean quick;
  private final boolean blobsOnly;
  private final StringBuilder report = new StringBuilder();
  private final ObjectMapper json = new ObjectMapper();

  private PeerBenchmarks(boolean quick, boolean blobsOnly) {
    this.quick = quick;
    this.blobsOnly = blobsOnly;
  }

  public static void main(String[] args) throws Exception {
    boolean quick = List.of(args).contains("--quick");
    Path out = Path.of(args[args.length - 1]);
    PeerBenchmarks b = new PeerBenchmarks(quick, List.of(args).contains("--blobs"));
    try {
      b.run();
    } finally {
      Files.writeString(out, b.report.toString());
      System.out.println(b.report);
    }
    System.exit(0);
  }

  private void line(String s) {
    report.append(s).append('\n');
    System.err.println(s);
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
        String customer = turnstile.cli("customer", "create", "--name", "Bench").get("id").asText();
        JsonNode license = turnstile.cli("license", "create", "--customer", customer, "--application", "app",
            "--version", "1.0.0", "--version", "1.1.0", "--version", "2.0.0");
        String user = license.get("id").asText();
        String key = license.get("key").asText();
        // Tokens live 5 minutes: each section takes a fresh one, as a client would.
        Supplier<String> freshBearer = () -> {
          try {
            return "Authorization: Bearer " + token(turnstile, user, key, "repository:vendor/big:pull repository:vendor/app:pull");
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        };
        String bearer = freshBearer.get();
        String vendorBasic = "Authorization: Basic " + b64("vendor:vendor-secret");
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
        curl(upstream.url() + "/v2/vendor/big/blobs/" + layer, vendorBasic, bytes);
        curl(nginx.url() + "/v2/vendor/big/blobs/" + layer, null, bytes);
        curl(turnstile.url() + "/v2/vendor/big/blobs/" + layer, bearer, bytes);
        Stats direct = Stats.of(repeat(runs, () -> curl(upstream.url() + "/v2/vendor/big/blobs/" + layer, vendorBasic, bytes)));
        Stats viaNginx = Stats.of(repeat(runs, () -> curl(nginx.url() + "/v2/vendor/big/blobs/" + layer, null, bytes)));
        List<Double> cold = new ArrayList<>();
        List<Double> warm = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
          try (Distribution pull = Distribution.pullThrough(dir.resolve("pull-" + i), dir.resolve("pull-storage-" + i),
              anonymous.url()).start()) {
            cold.add(curl(pull.url() + "/v2/vendor/big/blobs/" + layer, null, bytes));
            Thread.sleep(2000);
            warm.add(curl(pull.url() + "/v2/vendor/big/blobs/" + layer, null, bytes));
          }
        }
        bearer = freshBearer.get();
        String blobBearer = bearer;
        Stats ts = Stats.of(repeat(runs, () -> curl(turnstile.url() + "/v2/vendor/big/blobs/" + layer, blobBearer, bytes)));
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
          double d = concurrent(clients, upstream.url() + "/v2/vendor/big/blobs/" + layer, vendorBasic, bytes);
          double t = concurrent(clients, turnstile.url() + "/v2/vendor/big/blobs/" + layer, freshBearer.get(), bytes);
          long rss = peakRssKb(turnstile.pid());
          line(String.format("| %d | %.0f | %.0f | %.2f | %d | %d MB |", clients, Math.abs(d), Math.abs(t), Math.abs(t) / Math.abs(d),
              (d < 0 ? 1 : 0) + (t < 0 ? 1 : 0), rss / 1024));
        }
        line("");

        // 2a. The blob cache.
        blobCache(dir, upstream, layer, bytes, bigMib, runs, direct, viaNginx, pullWarm, ts);
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
        String basicLicense = "Authorization: Basic " + b64(user + ":" + key);
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
            String c2 = fresh.cli("customer", "create", "--name", "Bench").get("id").asText();
            JsonNode l2 = fresh.cli("license", "create", "--customer", c2, "--application", "app", "--version", "1.0.0");
            String freshUrl = fresh.url() + "/token?service=turnstile&scope=repository:vendor/app:pull";
            String freshBasic = "Authorization: Basic " + b64(l2.get("id").asText() + ":" + l2.get("key").asText());
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
        Stats skDirect = Stats.of(repeat(quick ? 1 : 3, () -> skopeo(dir, upstream.url(), "vendor:vendor-secret")));
        Stats skTurnstile = Stats.of(repeat(quick ? 1 : 3, () -> skopeo(dir, turnstile.url(), user + ":" + key)));
        line("| path | seconds | Turnstile / direct |");
        line("|---|---|---|");
        line("| direct | " + skDirect.format("s", "%.2f") + " | |");
        line(String.format("| Turnstile | %s | %.2f |", skTurnstile.format("s", "%.2f"), skTurnstile.median() / skDirect.median()));
        line("");
        line("Turnstile's peak RSS over the whole run: " + peakRssKb(turnstile.pid()) / 1024 + " MB.");
      }
    }
  }

  /**
   * A second Turnstile with a blob cache on the same upstream: one client cold (the cache's file
   * deleted before each run, so the blob streams from the upstream into the cache) and warm (from
   * the file, by sendfile), concurrent warm pulls, and 64 clients asking for one cold blob at once,
   * with the upstream's fetches counted in its own access log.
   */
  private void blobCache(Path dir, Distribution upstream, String layer, long bytes, int bigMib, int runs, Stats direct,
      Stats viaNginx, Stats pullWarm, Stats noCache) throws Exception {
    Path cacheDir = dir.resolve("blob-cache");
    try (TurnstileProcess cached = new TurnstileProcess(dir.resolve("turnstile-cached")).tagTtl("60s")
        .jvmArgs(System.getProperty("turnstile.transport") == null ? List.of()
            : List.of("-Dturnstile.transport=" + System.getProperty("turnstile.transport")))
        .blobCache(cacheDir, "4GiB")
        .start(upstream.url(), "vendor", "vendor-secret")) {
      String customer = cached.cli("customer", "create", "--name", "Bench").get("id").asText();
      JsonNode license = cached.cli("license", "create", "--customer", customer, "--application", "app",
          "--version", "1.0.0");
      String user = license.get("id").asText();
      String key = license.get("key").asText();
      Supplier<String> bearer = () -> {
        try {
          return "Authorization: Bearer " + token(cached, user, key, "repository:vendor/big:pull");
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      };
      String url = cached.url() + "/v2/vendor/big/blobs/" + layer;
      String hex = layer.substring("sha256:".length());
      Path file = cacheDir.resolve("sha256").resolve(hex.substring(0, 2)).resolve(hex);
      String auth = bearer.get();
      curl(url, auth, bytes);
      awaitFile(file);
      curl(url, auth, bytes);
      // Warm first: the cold runs write and flush the blob again each time, which the warm runs
      // should not pay for.
      Stats warmCache = Stats.of(repeat(runs, () -> curl(url, auth, bytes)));
      List<Double> cold = new ArrayList<>();
      for (int i = 0; i < runs; i++) {
        Files.delete(file);
        cold.add(curl(url, auth, bytes));
        awaitFile(file);
      }
      Stats coldCache = Stats.of(cold);
      line("### 2a. Blob cache (`upstreams[].cache.blobs`), one client (seconds for " + bigMib + " MiB)");
      line("");
      line("A second Turnstile with a blob cache, in the same run. Cold: the cached file is deleted before each run, so "
          + "the blob streams from the upstream to the client and into the cache at once (hashed, written off the event "
          + "loop, moved into place when verified). Warm: served from the file by sendfile.");
      line("");
      line("| path | seconds | MiB/s (median) | time / direct | nginx time / this |");
      line("|---|---|---|---|---|");
      for (var e : List.of(Map.entry("direct", direct), Map.entry("nginx", viaNginx),
          Map.entry("distribution pull-through, warm", pullWarm), Map.entry("Turnstile, no cache", noCache),
          Map.entry("Turnstile, cache cold", coldCache), Map.entry("Turnstile, cache warm", warmCache))) {
        line(String.format("| %s | %s | %.0f | %.2f | %.2f |", e.getKey(), e.getValue().format("s", "%.2f"),
            bigMib / e.getValue().median(), e.getValue().median() / direct.median(),
            viaNginx.median() / e.getValue().median()));
      }
      line("");
      line("### 2b. Blob cache, concurrent warm pulls (aggregate MiB/s; the cached Turnstile's peak RSS at `-Xmx256m`)");
      line("");
      line("| clients | direct | Turnstile, cache warm | cache warm / direct | failed | peak RSS |");
      line("|---|---|---|---|---|---|");
      String vendorBasic = "Authorization: Basic " + b64("vendor:vendor-secret");
      for (int clients : quick ? List.of(16) : List.of(16, 64)) {
        double d = concurrent(clients, upstream.url() + "/v2/vendor/big/blobs/" + layer, vendorBasic, bytes);
        double t = concurrent(clients, url, bearer.get(), bytes);
        line(String.format("| %d | %.0f | %.0f | %.2f | %d | %d MB |", clients, Math.abs(d), Math.abs(t),
            Math.abs(t) / Math.abs(d), (d < 0 ? 1 : 0) + (t < 0 ? 1 : 0), peakRssKb(cached.pid()) / 1024));
      }
      line("");
      line("### 2c. Blob cache, 64 clients asking for one cold blob at once");
      line("");
      Files.delete(file);
      long before = upstreamGets(upstream, layer);
      long t0 = System.nanoTime();
      double t = concurrent(64, url, bearer.get(), bytes);
      double seconds = (System.nanoTime() - t0) / 1e9;
      awaitFile(file);
      long fetches = upstreamGets(upstream, layer) - before;
      line(String.format("- upstream fetches of the blob (GET lines in the upstream's access log): %d", fetches));
      line(String.format("- all 64 complete in %.2f s (aggregate %.0f MiB/s), %s", seconds, Math.abs(t),
          t < 0 ? "some FAILED" : "none failed"));
      line("- the cached Turnstile's peak RSS over this section: " + peakRssKb(cached.pid()) / 1024 + " MB");
      line("");
    }
  }

  /** Waits for a download into the cache to land: the file appears just after the client's last byte. */
  private static void awaitFile(Path file) {
    Proc.await("the cached blob " + file, Duration.ofSeconds(60), () -> Files.exists(file));
  }

  /** GETs of the blob the upstream has logged so far. */
  private static long upstreamGets(Distribution upstream, String layer) throws Exception {
    String asked = "\"GET /v2/vendor/big/blobs/" + layer;
    try (var lines = Files.lines(upstream.log())) {
      return lines.filter(l -> l.contains(asked)).count();
    }
  }

  private static List<Double> repeat(int n, Supplier<Double> measure) {
    List<Double> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(measure.get());
    }
    return out;
  }

  /** Seconds to download {@code url}; fails unless exactly {@code bytes} arrived. */
  private static double curl(String url, String header, long bytes) {
    List<String> cmd = new ArrayList<>(List.of("curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download} %{time_total}"));
    if (header != null) {
      cmd.addAll(List.of("-H", header));
    }
    cmd.add(url);
    Proc.Result r = Proc.run(cmd, Map.of(), null, Duration.ofMinutes(10));
    String[] parts = r.out().trim().split(" ");
    if (!parts[0].equals("200") || Long.parseLong(parts[1]) != bytes) {
      throw new IllegalStateException("download of " + url + " failed: " + r.out() + r.err());
    }
    return Double.parseDouble(parts[2]);
  }

  /** Aggregate MiB/s of {@code clients} simultaneous downloads; negative when any failed. */
  private static double concurrent(int clients, String url, String header, long bytes) throws Exception {
    List<Process> ps = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int i = 0; i < clients; i++) {
      ps.add(new ProcessBuilder("curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", "-H", header, url)
          .redirectErrorStream(true).start());
    }
    boolean ok = true;
    for (Process p : ps) {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      p.waitFor();
      ok &= out.equals("200 " + bytes);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    double mibs = clients * (bytes / 1048576.0) / seconds;
    return ok ? mibs : -mibs;
  }

  private static long peakRssKb(long pid) throws Exception {
    for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (l.startsWith("VmHWM:")) {
        return Long.parseLong(l.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
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

  private String token(TurnstileProcess t, String user, String key, String scope) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(t.url()
        + "/token?service=turnstile&scope=" + java.net.URLEncoder.encode(scope, StandardCharsets.UTF_8)))
        .header("Authorization", "Basic " + b64(user + ":" + key)).build(), HttpResponse.BodyHandlers.ofString());
    return json.readTree(r.body()).get("token").asText();
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

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
