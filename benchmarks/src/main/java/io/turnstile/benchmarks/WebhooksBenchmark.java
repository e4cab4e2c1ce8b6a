package io.turnstile.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.turnstile.testkit.Distribution;
import io.turnstile.testkit.Proc;
import io.turnstile.testkit.Seeder;
import io.turnstile.testkit.TurnstileProcess;
import java.net.InetSocketAddress;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What webhooks cost the calls that cause events and the pulls beside them: one Turnstile, measured
 * in turn with no enabled webhook endpoint (no event is written at all) and with one enabled
 * endpoint whose receiver, in this process, answers {@code 204} to every delivery. Each round
 * measures off, on and off again, in one of three orders by turn; off again against off shows what
 * noise alone makes of two identical states. Per run: admin writes (a version granted, then
 * revoked; one event each) one at a time, their latency; then manifest GETs with {@code hey -c
 * 32}, their rate; with the endpoint on, until the receiver has the run's events. Writes a markdown
 * section.
 *
 * <p>Usage: {@code WebhooksBenchmark [--quick] REPORT.md}
 */
public final class WebhooksBenchmark {
  private static final String WEBHOOKS_YAML = """
      webhooks:
        allowHttp: true
        allowAddresses: [127.0.0.0/8]
      """;

  private final boolean quick;
  private final StringBuilder report;
  private final ObjectMapper json = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();
  private final AtomicLong delivered = new AtomicLong();
  /** When the receiver last got a write's event for the first time, by {@link System#nanoTime}. */
  private final AtomicLong lastWriteEvent = new AtomicLong();
  /** Deliveries per {@code webhook-id}: more than one is a redelivery. */
  private final Map<String, Integer> byId = new ConcurrentHashMap<>();
  /** Distinct events per type, to tell the writes' events from others (a first pull's). */
  private final Map<String, Integer> byType = new ConcurrentSkipListMap<>();

  private WebhooksBenchmark(boolean quick, StringBuilder report) {
    this.report = report;
    this.quick = quick;
  }

  public static void main(String[] args) throws Exception {
    Report.main(args, (quick, all, report) -> new WebhooksBenchmark(quick, report).run());
  }

  private void line(String s) {
    Report.line(report, s);
  }

  /**
   * One run's figures: admin write latencies (ms, each call), the manifest GET rate and, with the
   * endpoint on, how long after the last write the receiver had the last of the run's events.
   */
  private record Run(List<Double> writeMs, Hey gets, double deliveredAfterMs) {}

  private void run() throws Exception {
    int runs = quick ? 1 : 6;
    int writes = quick ? 40 : 100;
    Duration load = Duration.ofSeconds(quick ? 3 : 6);
    Path dir = Files.createTempDirectory("turnstile-bench-webhooks");
    HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext("/hooks", exchange -> {
      JsonNode event = json.readTree(exchange.getRequestBody().readAllBytes());
      if (byId.merge(exchange.getRequestHeaders().getFirst("webhook-id"), 1, Integer::sum) == 1) {
        String type = event.path("type").asText();
        if (type.startsWith("license.version_")) {
          lastWriteEvent.set(System.nanoTime());
        }
        byType.merge(type, 1, Integer::sum);
      }
      delivered.incrementAndGet();
      exchange.sendResponseHeaders(204, -1);
      exchange.close();
    });
    receiver.start();
    try (Distribution upstream = Distribution.basic(dir.resolve("upstream"), dir.resolve("storage"),
            Map.of("vendor", "vendor-secret")).start();
        TurnstileProcess t = new TurnstileProcess(dir.resolve("turnstile")).tagTtl("1h").extraYaml(WEBHOOKS_YAML)
            .start(upstream.url(), "vendor", "vendor-secret")) {
      new Seeder(upstream.url(), "vendor", "vendor-secret").seedAll();
      String customer = t.cli("customer", "create", "--name", "Bench").get("id").asText();
      JsonNode license = t.cli("license", "create", "--customer", customer, "--application", "app", "--version",
          "1.0.0");
      String id = license.get("id").asText();
      List<String> headers = List.of(bearer(t, id, license.get("key").asText()), "Accept: " + Seeder.OCI_MANIFEST);
      String manifest = t.url() + "/v2/vendor/app/manifests/1.0.0";
      String endpoint = t.cli("webhook", "create", "--url", "http://127.0.0.1:" + receiver.getAddress().getPort()
          + "/hooks", "--disabled").get("id").asText();

      // Warm-up of both states: the JIT, the manifest cache, the delivery threads.
      for (boolean on : new boolean[] {true, false}) {
        enabled(t, endpoint, on);
        measure(t, id, writes / 2, manifest, headers, Duration.ofSeconds(2), on);
      }
      // Each round measures off, on and off again, in turn in each of three orders: off again
      // against off is what the machine's noise alone makes of two identical states.
      List<Run> without = new ArrayList<>();
      List<Run> with = new ArrayList<>();
      List<Run> again = new ArrayList<>();
      int[][] orders = {{0, 1, 2}, {1, 2, 0}, {2, 0, 1}};
      for (int i = 0; i < runs; i++) {
        for (int state : orders[i % orders.length]) {
          boolean on = state == 1;
          enabled(t, endpoint, on);
          List.of(without, with, again).get(state).add(measure(t, id, writes, manifest, headers, load, on));
        }
      }
      long expected = (long) writes * runs + writes / 2;
      Proc.await("the receiver to get every event of the runs with the endpoint on", Duration.ofMinutes(1),
          () -> writeEvents() >= expected);

      line("### Webhooks on and off: admin writes and manifest GETs (" + runs + " rounds of three runs: off, on and "
          + "off again, in turn in three orders; median with range)");
      line("");
      line("One Turnstile (SQLite store), measured with no enabled webhook endpoint (no event is written) and with one "
          + "enabled endpoint whose receiver on loopback answers 204. Writes: " + writes + " admin calls per run, one at "
          + "a time, each granting or revoking a version (one event each); GETs: `hey -c 32`, " + load.toSeconds()
          + " s per run, by tag with a Bearer token.");
      line("");
      line("| measure | no endpoint | one endpoint | on / off, round by round (median, range) | off again / off, "
          + "round by round: the noise |");
      line("|---|---|---|---|---|");
      row("admin write latency, median (ms)", without, with, again, r -> Stats.percentile(r.writeMs(), 50),
          "%.1f ms");
      row("admin write latency, p99 (ms)", without, with, again, r -> Stats.percentile(r.writeMs(), 99), "%.1f ms");
      row("manifest GETs (req/s)", without, with, again, r -> r.gets().requestsPerSecond(), "%,.0f req/s");
      line("");
      Stats lag = Stats.of(with.stream().map(Run::deliveredAfterMs).toList());
      line(String.format("With the endpoint on, the receiver had the last event of a run's writes %.0f ms (%.0f–%.0f) "
          + "after the last write's answer (median and range over the runs).", lag.median(), lag.min(), lag.max()));
      line("");
      long failed = java.util.stream.Stream.of(without, with, again).flatMap(List::stream)
          .mapToLong(r -> r.gets().failed()).sum();
      long twice = byId.values().stream().filter(n -> n > 1).count();
      line(String.format("The receiver got %,d deliveries of %,d distinct events (by `webhook-id`; %,d of them more "
          + "than once); the admin writes made %,d events while the endpoint was on, and it got %,d of them. Events by "
          + "type: %s. %d GETs failed.", delivered.get(), byId.size(), twice, expected, writeEvents(), byType, failed));
      line("");
    } finally {
      receiver.stop(0);
      Proc.run(Map.of(), "rm", "-rf", dir.toString());
    }
  }

  /** Distinct events the writes caused that the receiver got: versions granted or revoked. */
  private long writeEvents() {
    return byType.getOrDefault("license.version_granted", 0) + byType.getOrDefault("license.version_revoked", 0);
  }

  private void row(String name, List<Run> off, List<Run> on, List<Run> offAgain,
      java.util.function.ToDoubleFunction<Run> f, String format) {
    Stats a = Stats.of(off.stream().map(f::applyAsDouble).toList());
    Stats b = Stats.of(on.stream().map(f::applyAsDouble).toList());
    Stats p = ratios(on, off, f);
    Stats n = ratios(offAgain, off, f);
    line("| " + name + " | " + range(a, format) + " | " + range(b, format) + " | "
        + String.format("%.2f (%.2f–%.2f) | %.2f (%.2f–%.2f)", p.median(), p.min(), p.max(), n.median(), n.min(),
        n.max()) + " |");
  }

  /** {@code f} of each run of {@code top} over that of the run of the same round in {@code bottom}. */
  private static Stats ratios(List<Run> top, List<Run> bottom, java.util.function.ToDoubleFunction<Run> f) {
    List<Double> paired = new ArrayList<>();
    for (int i = 0; i < bottom.size(); i++) {
      paired.add(f.applyAsDouble(top.get(i)) / f.applyAsDouble(bottom.get(i)));
    }
    return Stats.of(paired);
  }

  private static String range(Stats s, String format) {
    return String.format(format, s.median()) + " (" + String.format(format, s.min()).split(" ")[0] + "–"
        + String.format(format, s.max()) + ")";
  }

  private Run measure(TurnstileProcess t, String license, int writes, String manifest, List<String> headers,
      Duration load, boolean on) throws Exception {
    List<Double> ms = new ArrayList<>(writes);
    long seen = writeEvents();
    for (int i = 0; i < writes; i++) {
      long start = System.nanoTime();
      int status = i % 2 == 0
          ? admin(t, "POST", "/admin/v1/licenses/" + license + "/versions", "{\"versions\":[\"1.1.0\"]}")
          : admin(t, "DELETE", "/admin/v1/licenses/" + license + "/versions/1.1.0", null);
      ms.add((System.nanoTime() - start) / 1e6);
      if (status != 200) {
        throw new IllegalStateException("admin write answered " + status);
      }
    }
    long written = System.nanoTime();
    Hey gets = Hey.run(manifest, "GET", headers, 32, load, 0);
    if (!on) {
      return new Run(ms, gets, Double.NaN);
    }
    Proc.await("the receiver to get the run's events", Duration.ofMinutes(1), () -> writeEvents() >= seen + writes);
    return new Run(ms, gets, (lastWriteEvent.get() - written) / 1e6);
  }

  private void enabled(TurnstileProcess t, String endpoint, boolean on) throws Exception {
    int status = admin(t, "PATCH", "/admin/v1/webhooks/" + endpoint, "{\"enabled\":" + on + "}");
    if (status != 200) {
      throw new IllegalStateException("enabling the endpoint answered " + status);
    }
  }

  private int admin(TurnstileProcess t, String method, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(t.adminUrl() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .header("Authorization", "Bearer " + TurnstileProcess.ADMIN_TOKEN);
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private String bearer(TurnstileProcess t, String username, String key) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(t.url()
        + "/token?service=turnstile&scope=repository:vendor/app:pull"))
        .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
            (username + ":" + key).getBytes(StandardCharsets.UTF_8))).build(), HttpResponse.BodyHandlers.ofString());
    return "Authorization: Bearer " + json.readTree(r.body()).get("token").asText();
  }
}
