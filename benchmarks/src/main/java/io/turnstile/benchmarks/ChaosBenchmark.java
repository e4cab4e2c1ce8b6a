package io.turnstile.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Correctness under chaos: three Turnstile replicas on one PostgreSQL store, paced pulls and
 * license edits spread over them for minutes, while PostgreSQL is stopped and started again and a
 * replica is killed and restarted. Every pull answer is checked against the license's state at that
 * time.
 *
 * <p>The edits toggle version 1.0.0 of one license (which keeps 1.1.0); the pulls are manifest
 * HEADs of {@code vendor/app:1.0.0} with its credentials (tags resolved once, kept for {@code
 * cache.tagTtl}, so every answer is the replica's decision). An edit is sent with an {@code
 * Idempotency-Key}; an answer that does not say whether it was applied ({@code OUTCOME_UNKNOWN}, a
 * cut connection) is retried with the same key until one does, and the edit took effect somewhere
 * between its first sending and that answer; a {@code 503 STORE_UNAVAILABLE} applied nothing. An
 * edit must be enforced by every replica within {@value #BOUND_MS} ms of its answer, or of the
 * database's return when the database stopped meanwhile. A pull answer is then checked: the states
 * it may show are those from the last edit whose deadline had passed when it was sent to the last
 * edit sent before its answer came. A {@code 200} no such state grants is a wrong grant, a {@code
 * 403} none denies a wrong denial; an answer that is right only thanks to the bound (an older state
 * than the newest committed one) is a late decision.
 *
 * <p>Usage: {@code ChaosBenchmark [--quick] REPORT.md}; {@code --quick} runs 40 s, else 4 minutes.
 */
public final class ChaosBenchmark {
  private static final long BOUND_MS = 1000;
  private static final String ACCEPT = String.join(",", Seeder.OCI_MANIFEST, Seeder.OCI_INDEX);

  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();
  private final ObjectMapper json = new ObjectMapper();
  private final List<TurnstileProcess> replicas;
  private final String license;
  private final String basic;
  private final long t0 = System.nanoTime();
  /** The replicas killed for now, by index: no pull or edit is sent to them. */
  private final java.util.Set<Integer> down = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** One pull: sent and answered (ms since start), the status, or -1 for no answer. */
  record Pull(long sent, long answered, int status) {}

  /** One applied edit: the window it took effect in, the state after it, its deadline. */
  record Edit(long sent, long answered, boolean granted, long deadline) {}

  /** The edits' outcomes, as the admin API answered them. */
  private int applied;
  private int refused;
  private int unknown;
  private final List<Double> refusalMs = new ArrayList<>();
  private final List<Edit> edits = Collections.synchronizedList(new ArrayList<>());
  private final List<Pull> pulls = Collections.synchronizedList(new ArrayList<>());
  private volatile long outageStart = Long.MAX_VALUE;
  private volatile long outageEnd = Long.MAX_VALUE;
  private long killedAt;
  private long backAt;

  private ChaosBenchmark(List<TurnstileProcess> replicas, String license, String key) {
    this.replicas = replicas;
    this.license = license;
    this.basic = "Basic " + Base64.getEncoder().encodeToString((license + ":" + key).getBytes(StandardCharsets.UTF_8));
  }

  private long now() {
    return (System.nanoTime() - t0) / 1_000_000;
  }

  public static void main(String[] args) throws Exception {
    Report.main(args, (quick, all, r) -> run(quick, r));
  }

  private static void run(boolean quick, StringBuilder r) throws Exception {
    long runMs = quick ? 40_000 : 240_000;
    int pullsPerSecond = quick ? 40 : 100;
    int editsPerSecond = quick ? 4 : 5;
    Path dir = Files.createTempDirectory("turnstile-chaos");
    try (Distribution upstream = Distribution.basic(dir.resolve("upstream"), dir.resolve("storage"),
            Map.of("vendor", "vendor-secret")).start();
        Postgres postgres = Postgres.start(dir.resolve("postgres"))) {
      new Seeder(upstream.url(), "vendor", "vendor-secret").seedAll();
      String encryptionKey = TurnstileProcess.newEncryptionKey();
      Path signingKey = dir.resolve("signing-key.pem");
      List<TurnstileProcess> replicas = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          replicas.add(new TurnstileProcess(dir.resolve("replica-" + i))
              .store(postgres.jdbcUrl(), postgres.user(), postgres.password()).encryptionKey(encryptionKey)
              .signingKey(signingKey).tagTtl("1h").start(upstream.url(), "vendor", "vendor-secret"));
        }
        TurnstileProcess first = replicas.get(0);
        String customer = first.cli("customer", "create", "--name", "Chaos").get("id").asText();
        JsonNode license = first.cli("license", "create", "--customer", customer, "--application", "app",
            "--version", "1.0.0", "--version", "1.1.0");
        ChaosBenchmark bench = new ChaosBenchmark(replicas, license.get("id").asText(), license.get("key").asText());
        bench.edits.add(new Edit(0, 0, true, 0));
        bench.run(runMs, pullsPerSecond, editsPerSecond, postgres, upstream.url());
        bench.report(r, runMs, pullsPerSecond, editsPerSecond, postgres.version());
      } finally {
        replicas.forEach(TurnstileProcess::close);
      }
    }
  }

  private void run(long runMs, int pullsPerSecond, int editsPerSecond, Postgres postgres, String upstreamUrl)
      throws Exception {
    for (TurnstileProcess r : replicas) {
      for (int i = 0; i < 20; i++) {
        pull(r);
      }
    }
    int pullThreads = 8;
    List<Thread> threads = new ArrayList<>();
    long end = now() + runMs;
    for (int t = 0; t < pullThreads; t++) {
      int offset = t;
      threads.add(started(() -> pulls(end, pullThreads * 1000L / pullsPerSecond, offset)));
    }
    threads.add(started(() -> edits(end, 1000L / editsPerSecond)));
    // The chaos: the database away for 10 s at 25 %, a replica killed at 55 % and back at 70 %.
    sleepUntil(runMs / 4);
    outageStart = now();
    postgres.stop();
    System.err.printf("database stopped at %d ms%n", outageStart);
    sleepUntil(runMs / 4 + Math.min(10_000, runMs / 4));
    postgres.start();
    outageEnd = now();
    System.err.printf("database started at %d ms%n", outageEnd);
    sleepUntil(runMs * 55 / 100);
    down.add(2);
    replicas.get(2).kill();
    killedAt = now();
    System.err.printf("replica 2 killed at %d ms%n", killedAt);
    sleepUntil(runMs * 70 / 100);
    replicas.get(2).start(upstreamUrl, "vendor", "vendor-secret");
    down.remove(2);
    backAt = now();
    System.err.printf("replica 2 back at %d ms%n", backAt);
    for (Thread t : threads) {
      t.join();
    }
  }

  private static Thread started(Runnable work) {
    Thread t = new Thread(work);
    t.start();
    return t;
  }

  private void sleepUntil(long ms) throws InterruptedException {
    long wait = ms - now();
    if (wait > 0) {
      Thread.sleep(wait);
    }
  }

  private void pulls(long end, long periodMs, int offset) {
    long next = now() + offset * periodMs / 8;
    int i = offset;
    while (next < end) {
      try {
        sleepUntil(next);
      } catch (InterruptedException e) {
        return;
      }
      next += periodMs;
      int replica = i++ % replicas.size();
      if (down.contains(replica)) {
        continue;
      }
      long sent = now();
      int status;
      try {
        status = pull(replicas.get(replica));
      } catch (Exception e) {
        status = -1;
      }
      pulls.add(new Pull(sent, now(), status));
    }
  }

  private int pull(TurnstileProcess on) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(on.url() + "/v2/vendor/app/manifests/1.0.0"))
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).header("Authorization", basic).header("Accept", ACCEPT)
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private void edits(long end, long periodMs) {
    boolean granted = true;
    int i = 0;
    while (now() < end) {
      long sent = now();
      String key = UUID.randomUUID().toString();
      boolean grant = !granted;
      boolean retried = false;
      while (true) {
        int replica = i++ % replicas.size();
        if (down.contains(replica)) {
          continue;
        }
        int status;
        String code = "";
        try {
          HttpResponse<String> r = edit(replicas.get(replica), grant, key);
          status = r.statusCode();
          code = r.body().isEmpty() ? "" : json.readTree(r.body()).path("code").asText();
        } catch (Exception e) {
          status = -1;
        }
        long answered = now();
        if (status == 200 || (status == 409 && code.equals("ALREADY_APPLIED"))) {
          applied++;
          granted = grant;
          edits.add(new Edit(sent, answered, grant, deadline(answered)));
          break;
        }
        if (status == 503 && code.equals("STORE_UNAVAILABLE") && !retried) {
          refused++;
          refusalMs.add((double) (answered - sent));
          break;
        }
        // The outcome is unknown (or a retry of one was refused): ask again with the same key.
        if (!retried) {
          unknown++;
        }
        retried = true;
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          return;
        }
      }
      try {
        sleepUntil(sent + periodMs);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** When every replica must enforce an edit answered at {@code answered}. */
  private long deadline(long answered) {
    if (answered + BOUND_MS >= outageStart && answered <= outageEnd + BOUND_MS) {
      return Math.max(answered, outageEnd) + BOUND_MS;
    }
    return answered + BOUND_MS;
  }

  private HttpResponse<String> edit(TurnstileProcess on, boolean grant, String key) throws Exception {
    URI versions = URI.create(on.adminUrl() + "/admin/v1/licenses/" + license + "/versions");
    HttpRequest.Builder b = grant
        ? HttpRequest.newBuilder(versions).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"versions\":[\"1.0.0\"]}"))
        : HttpRequest.newBuilder(URI.create(versions + "/1.0.0")).DELETE();
    return http.send(b.header("Authorization", "Bearer " + TurnstileProcess.ADMIN_TOKEN)
        .header("Idempotency-Key", key).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private void report(StringBuilder r, long runMs, int pullsPerSecond, int editsPerSecond, String postgres)
      throws Exception {
    List<Edit> e = List.copyOf(edits);
    int wrongGrants = 0;
    int wrongDenials = 0;
    int late = 0;
    int failed = 0;
    int checked = 0;
    for (Pull p : List.copyOf(pulls)) {
      if (p.status() != 200 && p.status() != 403) {
        failed++;
        continue;
      }
      checked++;
      boolean grants = p.status() == 200;
      int lo = 0;
      int current = 0;
      int hi = 0;
      for (int i = 0; i < e.size(); i++) {
        if (e.get(i).deadline() <= p.sent()) lo = i;
        if (e.get(i).answered() <= p.sent()) current = i;
        if (e.get(i).sent() <= p.answered()) hi = i;
      }
      boolean allowed = false;
      boolean upToDate = false;
      for (int i = lo; i <= hi; i++) {
        if (e.get(i).granted() == grants) {
          allowed = true;
          upToDate |= i >= current;
        }
      }
      if (!allowed) {
        if (grants) wrongGrants++;
        else wrongDenials++;
      } else if (!upToDate) {
        late++;
      }
    }
    r.append("### 8. Chaos: three replicas, the database stopped, a replica killed (PostgreSQL ").append(postgres)
        .append(")\n\n");
    r.append(String.format("%d s of paced load: %d pulls/s (manifest HEADs) and %d license edits/s spread over the"
        + " replicas; PostgreSQL stopped (fast shutdown) for %d s at %d s, replica 2 killed at %d s and serving again"
        + " at %d s. Each pull answer is checked against the license's state: an edit must be enforced everywhere within"
        + " %d ms of its answer (of the database's return for edits around the outage).%n%n",
        runMs / 1000, pullsPerSecond, editsPerSecond, (outageEnd - outageStart) / 1000, outageStart / 1000,
        killedAt / 1000, backAt / 1000, BOUND_MS));
    r.append("| pulls checked | wrong grants | wrong denials | late (within the bound) | no answer |\n|---|---|---|---|---|\n");
    r.append(String.format("| %d | %d | %d | %d | %d |%n%n", checked, wrongGrants, wrongDenials, late, failed));
    r.append("| edits applied | refused `503 STORE_UNAVAILABLE` | refusal time max | outcome unknown, retried with its key |\n")
        .append("|---|---|---|---|\n");
    r.append(String.format("| %d | %d | %s | %d |%n%n", applied, refused,
        refusalMs.isEmpty() ? "-" : String.format("%.0f ms", Collections.max(refusalMs)), unknown));
    StringBuilder rss = new StringBuilder();
    for (int i = 0; i < replicas.size(); i++) {
      rss.append(i == 0 ? "" : ", ").append(replicas.get(i).peakRssKb() / 1024).append(" MiB");
    }
    r.append("Peak RSS of the replicas: ").append(rss).append(" (replica 2 since its restart).\n\n");
  }
}
