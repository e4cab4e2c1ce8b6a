package io.turnstile.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.turnstile.testkit.Distribution;
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
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * What the pull audit log costs a manifest GET: two Turnstiles side by side on one upstream, the
 * audit log on (the default) and off, loaded in turn with {@code hey -c 32}, alternating which goes
 * first. Afterwards, the records the audited one wrote are counted against the GETs it answered 200.
 * Writes a markdown section.
 *
 * <p>Usage: {@code AuditBenchmark [--quick] REPORT.md}
 */
public final class AuditBenchmark {
  private final boolean quick;
  private final StringBuilder report;
  private final ObjectMapper json = new ObjectMapper();

  private AuditBenchmark(boolean quick, StringBuilder report) {
    this.report = report;
    this.quick = quick;
  }

  public static void main(String[] args) throws Exception {
    Report.main(args, (quick, all, report) -> new AuditBenchmark(quick, report).run());
  }

  private void line(String s) {
    Report.line(report, s);
  }

  private void run() throws Exception {
    int runs = quick ? 1 : 5;
    Duration load = Duration.ofSeconds(quick ? 3 : 10);
    Path dir = Files.createTempDirectory("turnstile-bench-audit");
    try {
      measure(dir, runs, load);
    } finally {
      // The audited store holds a record per request: hundreds of MB after a full run.
      Proc.run(Map.of(), "rm", "-rf", dir.toString());
    }
  }

  private void measure(Path dir, int runs, Duration load) throws Exception {
    try (Distribution upstream = Distribution.basic(dir.resolve("upstream"), dir.resolve("storage"),
            Map.of("vendor", "vendor-secret")).start()) {
      Seeder seeder = new Seeder(upstream.url(), "vendor", "vendor-secret").seedAll();
      String digest = seeder.get("vendor/app", "1.0.0").digest();
      try (TurnstileProcess on = new TurnstileProcess(dir.resolve("audit-on")).tagTtl("1h")
              .start(upstream.url(), "vendor", "vendor-secret");
          TurnstileProcess off = new TurnstileProcess(dir.resolve("audit-off")).tagTtl("1h").audit(false)
              .start(upstream.url(), "vendor", "vendor-secret")) {
        String[] onLogin = license(on);
        String[] offLogin = license(off);
        line("### 3b. Manifest GETs with the pull audit log on and off (`hey -c 32`, " + load.toSeconds()
            + " s per run, " + runs + " runs each, alternating which goes first; median with range)");
        line("");
        line("Two Turnstiles side by side on one upstream, the same settings but `audit.enabled`; SQLite store; "
            + "clients with a Bearer token. Only GETs are recorded, so only GETs are measured. `cache.tagTtl: 1h`, so "
            + "that no tag is checked upstream during a run: an overloaded upstream timing out would fail requests "
            + "on either side at random.");
        line("");
        line("| request | audit off | audit on | on / off, medians | on / off, run by run (median, range) |");
        line("|---|---|---|---|---|");
        String accept = "Accept: " + Seeder.OCI_MANIFEST;
        long answeredOn = 0;
        List<String> onHeaders = List.of(bearer(on, onLogin), accept);
        List<String> offHeaders = List.of(bearer(off, offLogin), accept);
        String onBase = on.url() + "/v2/vendor/app/manifests/";
        String offBase = off.url() + "/v2/vendor/app/manifests/";
        record Load(String name, java.util.function.BiFunction<String, List<String>, Hey> run) {}
        List<Load> loads = List.of(
            new Load("GET by tag, repeated (one record a second per client)",
                (base, h) -> Hey.run(base + "1.0.0", "GET", h, 32, load, 0)),
            new Load("GET by digest, repeated", (base, h) -> Hey.run(base + digest, "GET", h, 32, load, 0)),
            new Load("GET by tag, two tags at once from one client (a record at each switch of tag)",
                (base, h) -> Hey.both(base + "1.0.0", base + "1.1.0", "GET", h, 32, load)));
        for (Load l : loads) {
          // Warm-up: the JIT, the manifest cache and, for the audited one, the writer's first batches.
          answeredOn += Hey.run(onBase + "1.0.0", "GET", onHeaders, 32, Duration.ofSeconds(3), 0).ok();
          Hey.run(offBase + "1.0.0", "GET", offHeaders, 32, Duration.ofSeconds(3), 0);
          List<Hey> withAudit = new ArrayList<>();
          List<Hey> without = new ArrayList<>();
          for (int i = 0; i < runs; i++) {
            if (i % 2 == 0) {
              without.add(l.run().apply(offBase, offHeaders));
              withAudit.add(l.run().apply(onBase, onHeaders));
            } else {
              withAudit.add(l.run().apply(onBase, onHeaders));
              without.add(l.run().apply(offBase, offHeaders));
            }
          }
          answeredOn += withAudit.stream().mapToLong(Hey::ok).sum();
          Stats a = Stats.of(withAudit.stream().map(Hey::requestsPerSecond).toList());
          Stats b = Stats.of(without.stream().map(Hey::requestsPerSecond).toList());
          // Each pair ran back to back, so a change in the machine's other load touches both alike.
          List<Double> paired = new ArrayList<>();
          for (int i = 0; i < runs; i++) {
            paired.add(withAudit.get(i).requestsPerSecond() / without.get(i).requestsPerSecond());
          }
          Stats p = Stats.of(paired);
          line("| " + l.name() + " | " + summary(without) + " | " + summary(withAudit) + " | "
              + String.format("%.2f | %.2f (%.2f–%.2f)", a.median() / b.median(), p.median(), p.min(), p.max()) + " |");
        }
        line("");
        long[] written = settledCount(dir.resolve("audit-on/turnstile.db"));
        line(String.format("The audited Turnstile wrote %,d records standing for %,d GETs, of %,d GETs answered 200 "
            + "(%.1f %%); any others were dropped at the full queue (100,000 records), as designed, rather than slow "
            + "a pull.", written[0], written[1], answeredOn, 100.0 * written[1] / Math.max(1, answeredOn)));
        line("");
      }
    }
  }

  private static String summary(List<Hey> runs) {
    Stats r = Stats.of(runs.stream().map(Hey::requestsPerSecond).toList());
    Stats p99 = Stats.of(runs.stream().map(Hey::p99ms).toList());
    long failed = runs.stream().mapToLong(Hey::failed).sum();
    return String.format("%,.0f req/s (%,.0f–%,.0f), p99 %.1f ms, %d failed", r.median(), r.min(), r.max(),
        p99.median(), failed);
  }

  /** The pulls table's rows and the GETs they stand for, once it stops growing (the writer has caught up). */
  private static long[] settledCount(Path db) throws Exception {
    long last = -1;
    long gets = 0;
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    while (System.nanoTime() < deadline) {
      Thread.sleep(3000);
      long n;
      try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db + "?open_mode=1");
          ResultSet rs = c.createStatement().executeQuery("select count(*), coalesce(sum(pull_count), 0) from pulls")) {
        rs.next();
        n = rs.getLong(1);
        gets = rs.getLong(2);
      }
      // The last open record closes after 10 s without blobs; two equal counts 3 s apart after that.
      if (n == last) {
        return new long[] {n, gets};
      }
      last = n;
    }
    return new long[] {last, gets};
  }

  private String[] license(TurnstileProcess t) {
    String customer = t.cli("customer", "create", "--name", "Bench").get("id").asText();
    JsonNode l = t.cli("license", "create", "--customer", customer, "--application", "app", "--version", "1.0.0",
        "--version", "1.1.0");
    return new String[] {l.get("id").asText(), l.get("key").asText()};
  }

  private String bearer(TurnstileProcess t, String[] login) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(t.url()
        + "/token?service=turnstile&scope=repository:vendor/app:pull"))
        .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
            (login[0] + ":" + login[1]).getBytes(StandardCharsets.UTF_8))).build(), HttpResponse.BodyHandlers.ofString());
    return "Authorization: Bearer " + json.readTree(r.body()).get("token").asText();
  }
}
