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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * What fair-use limits cost a pull when none is reached: two Turnstiles side by side on one
 * upstream, one with every limit configured (far above what a run uses) and one with none, loaded
 * in turn with {@code hey}, alternating which goes first: manifest GETs by tag, and blob GETs.
 * Writes a markdown section.
 *
 * <p>Usage: {@code LimitsBenchmark [--quick] REPORT.md}
 */
public final class LimitsBenchmark {
  /** Limits no run reaches: every check is made, none refuses. */
  static final String LIMITS = "{manifestPullsPerDay: {limit: 1000000000000}, blobBytesPerMonth: {limit: 1000TiB},"
      + " addressesPerDay: {limit: 1000}}";

  private final boolean quick;
  private final StringBuilder report;
  private final ObjectMapper json = new ObjectMapper();

  private LimitsBenchmark(boolean quick, StringBuilder report) {
    this.report = report;
    this.quick = quick;
  }

  public static void main(String[] args) throws Exception {
    Report.main(args, (quick, all, report) -> new LimitsBenchmark(quick, report).run());
  }

  private void line(String s) {
    Report.line(report, s);
  }

  private void run() throws Exception {
    int runs = quick ? 1 : 5;
    Duration load = Duration.ofSeconds(quick ? 3 : 10);
    Path dir = Files.createTempDirectory("turnstile-bench-limits");
    try (Distribution upstream = Distribution.basic(dir.resolve("upstream"), dir.resolve("storage"),
            Map.of("vendor", "vendor-secret")).start()) {
      Seeder seeder = new Seeder(upstream.url(), "vendor", "vendor-secret").seedAll();
      String layer = seeder.get("vendor/app", "1.0.0").layers().get(0);
      // The audit log off on both: what is measured is the limits alone.
      try (TurnstileProcess limited = new TurnstileProcess(dir.resolve("limits-on")).tagTtl("1h").audit(false)
              .appLimits(LIMITS).start(upstream.url(), "vendor", "vendor-secret");
          TurnstileProcess plain = new TurnstileProcess(dir.resolve("limits-off")).tagTtl("1h").audit(false)
              .start(upstream.url(), "vendor", "vendor-secret")) {
        String[] limitedLogin = license(limited);
        List<String> onHeaders = List.of(bearer(limited, limitedLogin), "Accept: " + Seeder.OCI_MANIFEST);
        List<String> offHeaders = List.of(bearer(plain, license(plain)), "Accept: " + Seeder.OCI_MANIFEST);
        line("### Fair-use limits configured but not reached, side by side with none (`hey`, " + load.toSeconds()
            + " s per run, " + runs + " runs each, alternating which goes first; median with min–max)");
        line("");
        line("Two Turnstiles on one upstream, the same settings but `applications[].limits` (every limit, enforced, far "
            + "above what a run uses: " + LIMITS.replace("|", "\\|") + "); SQLite store; the pull audit log off on both; "
            + "clients with a Bearer token. Goal: within 5 %.");
        line("");
        line("| request | limits none | limits configured | configured / none, medians | configured / none, run by run (median, min–max) |");
        line("|---|---|---|---|---|");
        record Load(String name, String path, int clients) {}
        for (Load l : List.of(new Load("manifest GET by tag (`hey -c 32`)", "/v2/vendor/app/manifests/1.0.0", 32),
            new Load("blob GET, one layer repeated (`hey -c 16`)", "/v2/vendor/app/blobs/" + layer, 16))) {
          Function<TurnstileProcess, Hey> on = t -> Hey.run(t.url() + l.path(), "GET", onHeaders, l.clients(), load, 0);
          Function<TurnstileProcess, Hey> off = t -> Hey.run(t.url() + l.path(), "GET", offHeaders, l.clients(), load, 0);
          // Warm-up: the JIT, the manifest cache, the first flushes of the counts.
          Hey.run(limited.url() + l.path(), "GET", onHeaders, l.clients(), Duration.ofSeconds(3), 0);
          Hey.run(plain.url() + l.path(), "GET", offHeaders, l.clients(), Duration.ofSeconds(3), 0);
          List<Hey> with = new ArrayList<>();
          List<Hey> without = new ArrayList<>();
          for (int i = 0; i < runs; i++) {
            if (i % 2 == 0) {
              without.add(off.apply(plain));
              with.add(on.apply(limited));
            } else {
              with.add(on.apply(limited));
              without.add(off.apply(plain));
            }
          }
          Stats a = Stats.of(with.stream().map(Hey::requestsPerSecond).toList());
          Stats b = Stats.of(without.stream().map(Hey::requestsPerSecond).toList());
          List<Double> paired = new ArrayList<>();
          for (int i = 0; i < runs; i++) {
            paired.add(with.get(i).requestsPerSecond() / without.get(i).requestsPerSecond());
          }
          Stats p = Stats.of(paired);
          line("| " + l.name() + " | " + summary(without) + " | " + summary(with) + " | "
              + String.format("%.2f | %.2f (%.2f–%.2f)", a.median() / b.median(), p.median(), p.min(), p.max()) + " |");
        }
        line("");
        JsonNode use = limited.cli("license", "usage", limitedLogin[0]);
        line("The limited Turnstile's counts after the runs: " + use.path("limits").toString().replace("|", "\\|"));
        line("");
      }
    } finally {
      Proc.run(Map.of(), "rm", "-rf", dir.toString());
    }
  }

  private static String summary(List<Hey> runs) {
    Stats r = Stats.of(runs.stream().map(Hey::requestsPerSecond).toList());
    Stats p99 = Stats.of(runs.stream().map(Hey::p99ms).toList());
    long failed = runs.stream().mapToLong(Hey::failed).sum();
    return String.format("%,.0f req/s (%,.0f–%,.0f), p99 %.1f ms, %d failed", r.median(), r.min(), r.max(),
        p99.median(), failed);
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
