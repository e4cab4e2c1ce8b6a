package io.turnstile.e2e;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * An upstream outage, with docker and a real distribution upstream: what a customer pulled is
 * pulled again while the upstream is down, also after Turnstile restarts; a version never pulled
 * gets 503 saying the upstream is unreachable; a version revoked during the outage is refused at
 * once; and when the upstream is back, new versions flow again, one asked for before its push
 * included. Tags are trusted for 0 s, so every
 * pull here asks the upstream first.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UpstreamOutageE2E {
  private Path dir;
  private Distribution upstream;
  private Daemons daemons;
  private TurnstileProcess turnstile;
  private Seeder content;
  private JsonNode license;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  void start() throws Exception {
    dir = Files.createTempDirectory("turnstile-e2e-outage");
    upstream = Distribution.basic(dir.resolve("upstream"), dir.resolve("storage"),
        Map.of("vendor", "vendor-secret")).start();
    content = new Seeder(upstream.url(), "vendor", "vendor-secret");
    content.release("vendor/app", "1.0.0", 100);
    content.release("vendor/app", "1.1.0", 110);
    daemons = new Daemons(dir.resolve("daemons")).start();
    turnstile = new TurnstileProcess(dir.resolve("turnstile")).tagTtl("0s").blobCache(dir.resolve("cache"), "1GiB")
        .start(upstream.url(), "vendor", "vendor-secret");
    String customer = turnstile.cli("customer", "create", "--name", "Acme").get("id").asText();
    license = turnstile.cli("license", "create", "--customer", customer, "--application", "app",
        "--version", "1.0.0", "--version", "1.1.0", "--version", "1.2.0");
    Proc.Result login = daemons.dockerWithInput(license.get("key").asText(), "login", "-u", license.get("id").asText(),
        "--password-stdin", turnstile.host());
    assertThat(login.exit()).as(login.all()).isZero();
  }

  @AfterAll
  void stop() {
    if (turnstile != null) turnstile.close();
    if (daemons != null) daemons.close();
    if (upstream != null) upstream.close();
  }

  private String ref(String tag) {
    return turnstile.host() + "/vendor/app:" + tag;
  }

  /** Pulls {@code tag} afresh (the local copy removed first), and checks what docker got. */
  private void pulls(String tag) {
    daemons.docker("rmi", "-f", ref(tag));
    Proc.Result pull = daemons.docker("pull", ref(tag));
    assertThat(pull.exit()).as(pull.all()).isZero();
    Proc.Result inspect = daemons.docker("image", "inspect", "--format", "{{range .RepoDigests}}{{.}} {{end}}", ref(tag));
    assertThat(inspect.out()).as(inspect.all()).contains(content.get("vendor/app", tag).digest());
  }

  private HttpResponse<String> manifest(String tag) throws Exception {
    String basic = Base64.getEncoder().encodeToString((license.get("id").asText() + ":" + license.get("key").asText())
        .getBytes(StandardCharsets.UTF_8));
    return http.send(HttpRequest.newBuilder(URI.create(turnstile.url() + "/v2/vendor/app/manifests/" + tag))
        .header("Authorization", "Basic " + basic).header("Accept", Seeder.OCI_MANIFEST).timeout(Duration.ofSeconds(30))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void anOutage_servesWhatWasPulled_evenAfterARestart_refusesARevocationAtOnce_andNewVersionsFlowWhenItEnds()
      throws Exception {
    pulls("1.0.0");
    // The manifest is kept on disk once it went out; wait until it has landed.
    String hex = content.get("vendor/app", "1.0.0").digest().substring("sha256:".length());
    Path kept = dir.resolve("cache").resolve("manifests").resolve("sha256").resolve(hex.substring(0, 2)).resolve(hex);
    Proc.await("the manifest kept on disk", Duration.ofSeconds(30), () -> Files.exists(kept));
    Seeder.Pushed pushed = content.get("vendor/app", "1.0.0");
    for (String blob : java.util.stream.Stream.concat(pushed.layers().stream(), java.util.stream.Stream.of(pushed.config()))
        .toList()) {
      String h = blob.substring("sha256:".length());
      Path file = dir.resolve("cache").resolve("sha256").resolve(h.substring(0, 2)).resolve(h);
      Proc.await("blob " + blob + " in the cache", Duration.ofSeconds(30), () -> Files.exists(file));
    }

    upstream.stop();
    pulls("1.0.0");

    HttpResponse<String> never = manifest("1.1.0");
    assertThat(never.statusCode()).as(never.body()).isEqualTo(503);
    JsonNode error = new ObjectMapper().readTree(never.body()).path("errors").get(0);
    assertThat(error.path("message").asText())
        .isEqualTo("the upstream registry is unreachable; Turnstile has no copy of tag 1.1.0 to serve meanwhile");
    Proc.Result refused = daemons.docker("pull", ref("1.1.0"));
    assertThat(refused.exit()).as(refused.all()).isNotZero();

    turnstile.close();
    turnstile.start(upstream.url(), "vendor", "vendor-secret");
    pulls("1.0.0");

    turnstile.cli("license", "revoke", license.get("id").asText(), "--version", "1.0.0");
    daemons.docker("rmi", "-f", ref("1.0.0"));
    Proc.Result revoked = daemons.docker("pull", ref("1.0.0"));
    assertThat(revoked.exit()).as(revoked.all()).isNotZero();
    assertThat(revoked.all()).contains("license does not grant tag 1.0.0");

    upstream.start();
    pulls("1.1.0");
    // A version asked for before its release (404), then pushed: pullable within about a second.
    Proc.Result early = daemons.docker("pull", ref("1.2.0"));
    assertThat(early.exit()).as(early.all()).isNotZero();
    assertThat(early.all()).contains("manifest unknown");
    content.release("vendor/app", "1.2.0", 120);
    Proc.await("1.2.0 pullable after its push", Duration.ofSeconds(10),
        () -> daemons.docker("pull", ref("1.2.0")).exit() == 0);
    pulls("1.2.0");
  }
}
