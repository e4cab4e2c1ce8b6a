package io.turnstile.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.turnstile.testkit.Distribution;
import io.turnstile.testkit.Postgres;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Two Turnstile replicas on Debian's PostgreSQL, a primary with a synchronous streaming standby;
 * {@code store.url} names both hosts with {@code targetServerType=primary}. The primary is stopped
 * and the standby promoted, as an operator or an HA manager does: pulls go on throughout, writes
 * are back within 5 s of the promotion, both replicas follow the new primary, and no write
 * acknowledged before the failover is lost.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FailoverE2E {
  private static final Duration WRITES_BACK = Duration.ofSeconds(5);
  private static final Duration PATIENCE = Duration.ofSeconds(30);
  private static final String MANIFEST_TYPES = String.join(",", Seeder.OCI_MANIFEST, Seeder.OCI_INDEX);

  private Path dir;
  private Distribution upstream;
  private Postgres primary;
  private Postgres standby;
  private final List<TurnstileProcess> replicas = new ArrayList<>();
  private final ObjectMapper json = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  void start() throws Exception {
    dir = Files.createTempDirectory("turnstile-failover-e2e");
    upstream = Distribution.basic(dir.resolve("upstream"), dir.resolve("storage"),
        Map.of("vendor", "vendor-secret")).start();
    new Seeder(upstream.url(), "vendor", "vendor-secret").seedAll();
    primary = Postgres.start(dir.resolve("primary"));
    standby = primary.synchronousStandby(dir.resolve("standby"));
    String url = "jdbc:postgresql://127.0.0.1:" + primary.port + ",127.0.0.1:" + standby.port + "/"
        + Postgres.DATABASE + "?targetServerType=primary&hostRecheckSeconds=1";
    String encryptionKey = TurnstileProcess.newEncryptionKey();
    Path signingKey = dir.resolve("signing-key.pem");
    for (int i = 0; i < 2; i++) {
      TurnstileProcess r = new TurnstileProcess(dir.resolve("replica-" + i))
          .store(url, primary.user(), primary.password()).encryptionKey(encryptionKey).signingKey(signingKey);
      replicas.add(r);
      // The first migrates the schema and generates the signing key the second loads.
      r.start(upstream.url(), "vendor", "vendor-secret");
    }
  }

  @AfterAll
  void stop() {
    replicas.forEach(TurnstileProcess::close);
    if (standby != null) standby.close();
    if (primary != null) primary.close();
    if (upstream != null) upstream.close();
  }

  private int manifest(TurnstileProcess on, String tag, String credentials) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(on.url() + "/v2/vendor/app/manifests/" + tag))
        .method("HEAD", HttpRequest.BodyPublishers.noBody())
        .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)))
        .header("Accept", MANIFEST_TYPES).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private HttpResponse<String> grant(TurnstileProcess on, String license, String version, String idempotencyKey)
      throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(on.adminUrl() + "/admin/v1/licenses/" + license + "/versions"))
        .header("Authorization", "Bearer " + TurnstileProcess.ADMIN_TOKEN)
        .header("Content-Type", "application/json").header("Idempotency-Key", idempotencyKey)
        .timeout(Duration.ofSeconds(10))
        .POST(HttpRequest.BodyPublishers.ofString("{\"versions\":[\"" + version + "\"]}")).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private void awaitEveryReplica(String what, String tag, String credentials, int status) {
    for (TurnstileProcess r : replicas) {
      Proc.await(what + " on " + r.url(), PATIENCE, () -> {
        try {
          return manifest(r, tag, credentials) == status;
        } catch (Exception e) {
          return false;
        }
      });
    }
  }

  @Test
  void primaryStoppedAndStandbyPromoted_pullsGoOn_writesBackWithinFiveSeconds_nothingAcknowledgedLost()
      throws Exception {
    TurnstileProcess a = replicas.get(0);
    TurnstileProcess b = replicas.get(1);
    String customer = a.cli("customer", "create", "--name", "Acme").get("id").asText();
    JsonNode license = a.cli("license", "create", "--customer", customer, "--application", "app",
        "--version", "1.0.0");
    String id = license.get("id").asText();
    String credentials = id + ":" + license.get("key").asText();
    awaitEveryReplica("the new license", "1.0.0", credentials, 200);

    // Acknowledged just before the failover: with a synchronous standby it is on the standby too.
    HttpResponse<String> acknowledged = grant(a, id, "1.1.0", UUID.randomUUID().toString());
    assertThat(acknowledged.statusCode()).as(acknowledged.body()).isEqualTo(200);
    primary.stop();
    for (TurnstileProcess r : replicas) {
      assertThat(manifest(r, "1.0.0", credentials)).as("a pull while the primary is down").isEqualTo(200);
    }
    standby.promote();
    Instant promoted = Instant.now();

    // Writes come back on the new primary: retried with one key, so a retry is never applied twice.
    String key = UUID.randomUUID().toString();
    Instant backAt = null;
    while (Duration.between(promoted, Instant.now()).compareTo(PATIENCE) < 0) {
      HttpResponse<String> r = grant(b, id, "2.0.0", key);
      if (r.statusCode() == 200) {
        backAt = Instant.now();
        break;
      }
      assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
      Thread.sleep(100);
    }
    assertThat(backAt).as("a write succeeded after the promotion").isNotNull();
    Duration took = Duration.between(promoted, backAt);
    System.out.printf("writes back %d ms after the promotion%n", took.toMillis());
    assertThat(took).isLessThan(WRITES_BACK);

    for (TurnstileProcess r : replicas) {
      assertThat(manifest(r, "1.0.0", credentials)).as("a pull after the failover").isEqualTo(200);
    }
    awaitEveryReplica("the edit acknowledged before the failover", "1.1.0", credentials, 200);
    awaitEveryReplica("the edit made after the failover", "2.0.0", credentials, 200);
    JsonNode history = json.readTree(http.send(HttpRequest.newBuilder(
            URI.create(a.adminUrl() + "/admin/v1/licenses/" + id))
        .header("Authorization", "Bearer " + TurnstileProcess.ADMIN_TOKEN).build(),
        HttpResponse.BodyHandlers.ofString()).body()).path("history");
    assertThat(history.findValuesAsText("detail")).contains("versions=[1.1.0]", "versions=[2.0.0]");
  }
}
