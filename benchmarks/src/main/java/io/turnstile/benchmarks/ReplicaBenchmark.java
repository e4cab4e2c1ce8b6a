package io.turnstile.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import io.turnstile.testkit.Distribution;
import io.turnstile.testkit.Postgres;
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
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Edit-to-enforcement latency across replicas: two Turnstile processes (A and B) on one PostgreSQL
 * store; an edit made through A's admin API, and how long until B answers pulls accordingly.
 *
 * <p>Each edit alternately revokes and grants version 1.0.0 of one license (which keeps 1.1.0, so
 * the license itself stays valid). The clock starts just before the admin call is sent; meanwhile
 * B is asked a manifest HEAD for {@code vendor/app:1.0.0} with the license's Basic credentials
 * every {@value #POLL_GAP_MS} ms until its answer flips: 200 to 403 (DENIED) after a revoke, 403 to
 * 200 after a grant. The upstream is a seeded distribution, so both answers are real ones; B
 * resolves the tag once before the runs and keeps it for {@code cache.tagTtl} (1h here), so a 200
 * is answered from memory and the figure is B's enforcement, not the upstream's latency. The
 * flip's time is when the first flipped answer arrived: the resolution is the gap plus one round
 * trip. A few unmeasured edits go first (class loading and JIT on both replicas); edits are
 * spaced 100 to 300 ms apart, so each finds B's change listener idle.
 *
 * <p>Usage: {@code ReplicaBenchmark [--quick] REPORT.md}; {@code --quick} makes 10 edits, else 100.
 */
public final class ReplicaBenchmark {
  private static final int POLL_GAP_MS = 2;
  /** Far beyond the poll bound (store.pollInterval, 2s): an edit not seen by then is a failure. */
  private static final Duration GIVE_UP = Duration.ofSeconds(30);
  private static final String VERSION = "1.0.0";
  private static final String ACCEPT = String.join(",", Seeder.OCI_MANIFEST, Seeder.OCI_INDEX);

  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private final ExecutorService adminCalls = Executors.newSingleThreadExecutor();
  private final URI adminVersions;
  private final HttpRequest probe;

  private ReplicaBenchmark(TurnstileProcess a, TurnstileProcess b, String licenseId, String key) {
    this.adminVersions = URI.create("http://127.0.0.1:" + a.adminPort + "/admin/v1/licenses/" + licenseId + "/versions");
    this.probe = HttpRequest.newBuilder(URI.create(b.url() + "/v2/vendor/app/manifests/" + VERSION))
        .method("HEAD", HttpRequest.BodyPublishers.noBody())
        .header("Authorization", "Basic " + b64(licenseId + ":" + key))
        .header("Accept", ACCEPT)
        .timeout(Duration.ofSeconds(10))
        .build();
  }

  /** One edit: milliseconds until B enforced it, and A's admin call on its own. */
  record Edit(double enforcedMs, double adminMs) {}

  public static void main(String[] args) throws Exception {
    Report.main(args, (quick, all, r) -> run(quick, r));
  }

  private static void run(boolean quick, StringBuilder r) throws Exception {
    int edits = quick ? 10 : 100;
    int warmUp = quick ? 2 : 10;
    Path dir = Files.createTempDirectory("turnstile-replicas");
    try (Distribution upstream = Distribution.basic(dir.resolve("upstream"), dir.resolve("storage"),
            Map.of("vendor", "vendor-secret")).start();
        Postgres postgres = Postgres.start(dir.resolve("postgres"))) {
      new Seeder(upstream.url(), "vendor", "vendor-secret").seedAll();
      String encryptionKey = TurnstileProcess.newEncryptionKey();
      Path signingKey = dir.resolve("signing-key.pem");
      // A starts first: it migrates the schema and generates the signing key B loads.
      try (TurnstileProcess a = replica(dir.resolve("replica-a"), postgres, encryptionKey, signingKey)
              .start(upstream.url(), "vendor", "vendor-secret");
          TurnstileProcess b = replica(dir.resolve("replica-b"), postgres, encryptionKey, signingKey)
              .start(upstream.url(), "vendor", "vendor-secret")) {
        String customer = a.cli("customer", "create", "--name", "Bench").get("id").asText();
        JsonNode license = a.cli("license", "create", "--customer", customer, "--application", "app",
            "--version", VERSION, "--version", "1.1.0");
        ReplicaBenchmark bench = new ReplicaBenchmark(a, b, license.get("id").asText(), license.get("key").asText());
        List<Edit> warm = bench.edits(warmUp, 0);
        List<Edit> measured = bench.edits(edits, warmUp);
        report(r, measured, warm, warmUp, postgres.version());
      }
    }
  }

  private static TurnstileProcess replica(Path dir, Postgres postgres, String encryptionKey, Path signingKey) {
    return new TurnstileProcess(dir).store(postgres.jdbcUrl(), postgres.user(), postgres.password())
        .encryptionKey(encryptionKey).signingKey(signingKey).tagTtl("1h");
  }

  /**
   * {@code count} edits; the {@code first}'s parity says whether the series starts with a revoke
   * (even: the version is granted) or a grant.
   */
  private List<Edit> edits(int count, int first) throws Exception {
    Random gaps = new Random(first);
    List<Edit> edits = new ArrayList<>(count);
    for (int i = first; i < first + count; i++) {
      boolean revoke = i % 2 == 0;
      int before = status();
      if (before != (revoke ? 200 : 403)) {
        throw new IllegalStateException("before edit " + i + " B answers " + before);
      }
      Edit e = edit(revoke);
      edits.add(e);
      // One line per edit in the log, to line slow ones up with the machine's load afterwards.
      System.err.printf("edit %d %s: B enforced after %.1f ms, A answered after %.1f ms (at %d ms since epoch)%n", i,
          revoke ? "revoke" : "grant", e.enforcedMs(), e.adminMs(), System.currentTimeMillis());
      Thread.sleep(100 + gaps.nextInt(201));
    }
    return edits;
  }

  private Edit edit(boolean revoke) throws Exception {
    HttpRequest call = (revoke
        ? HttpRequest.newBuilder(URI.create(adminVersions + "/" + VERSION)).DELETE()
        : HttpRequest.newBuilder(adminVersions).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"versions\":[\"" + VERSION + "\"]}")))
        .header("Authorization", "Bearer " + TurnstileProcess.ADMIN_TOKEN)
        .timeout(Duration.ofSeconds(30))
        .build();
    int expected = revoke ? 403 : 200;
    long t0 = System.nanoTime();
    Future<Long> admin = adminCalls.submit(() -> {
      HttpResponse<String> response = http.send(call, HttpResponse.BodyHandlers.ofString());
      long done = System.nanoTime();
      if (response.statusCode() != 200) {
        throw new IllegalStateException(call.method() + " " + call.uri() + ": " + response.statusCode() + " "
            + response.body());
      }
      return done;
    });
    long enforced;
    while (true) {
      int status = status();
      long now = System.nanoTime();
      if (status == expected) {
        enforced = now;
        break;
      }
      if (status != (revoke ? 200 : 403)) {
        throw new IllegalStateException("B answered " + status + " while waiting for " + expected);
      }
      if (now - t0 > GIVE_UP.toNanos()) {
        throw new IllegalStateException("B still answers " + status + " " + GIVE_UP + " after the edit");
      }
      Thread.sleep(POLL_GAP_MS);
    }
    long adminDone = admin.get();
    return new Edit((enforced - t0) / 1e6, (adminDone - t0) / 1e6);
  }

  private int status() throws Exception {
    return http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private static void report(StringBuilder r, List<Edit> edits, List<Edit> warm, int warmUp, String postgres) {
    List<Double> enforced = edits.stream().map(Edit::enforcedMs).toList();
    List<Double> admin = edits.stream().map(Edit::adminMs).toList();
    long beforeAdminAnswer = edits.stream().filter(e -> e.enforcedMs() < e.adminMs()).count();
    r.append("### 7. Edit-to-enforcement across replicas (PostgreSQL ").append(postgres)
        .append(", two Turnstile processes, LISTEN/NOTIFY)\n\n");
    r.append(String.format("%d edits through replica A's admin API, alternately revoking and granting %s of one license"
        + " (after %d unmeasured ones); replica B polled with a manifest HEAD every %d ms until its answer flips"
        + " between 200 and 403. Milliseconds from just before the admin call; p99 by nearest rank.%n%n",
        edits.size(), VERSION, warmUp, POLL_GAP_MS));
    r.append("| | p50 | p99 | min | max |\n|---|---|---|---|---|\n");
    r.append(row("B enforces the edit", enforced));
    r.append(row("A's admin call answered", admin));
    r.append(String.format("%nB enforced %d of %d edits before A's answer arrived. Warm-up edits (not counted): %s ms."
        + " Without LISTEN (a pooler in transaction mode, a cut listener) a replica polls: an edit is enforced within"
        + " `store.pollInterval` (default 2 s) plus one catch-up.%n%n", beforeAdminAnswer, edits.size(),
        String.join(", ", warm.stream().map(e -> String.format("%.1f", e.enforcedMs())).toList())));
  }

  private static String row(String what, List<Double> ms) {
    Stats s = Stats.of(ms);
    return String.format("| %s | %.1f ms | %.1f ms | %.1f ms | %.1f ms |%n", what, s.median(),
        Stats.percentile(ms, 99), s.min(), s.max());
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
