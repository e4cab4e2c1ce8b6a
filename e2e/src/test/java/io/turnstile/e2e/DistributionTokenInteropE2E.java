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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The reference implementation accepts Turnstile's tokens: a stock CNCF distribution registry with
 * {@code auth.token} pointing at Turnstile's token endpoint and Turnstile's certificate as {@code
 * rootcertbundle}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DistributionTokenInteropE2E {
  private Distribution upstream;
  private Distribution tokenRegistry;
  private TurnstileProcess turnstile;
  private Seeder content;
  private String licenseId;
  private String key;
  private final ObjectMapper json = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  void start() throws Exception {
    Path dir = Files.createTempDirectory("turnstile-interop");
    Path storage = dir.resolve("storage");
    upstream = Distribution.basic(dir.resolve("upstream"), storage, Map.of("vendor", "vendor-secret")).start();
    content = new Seeder(upstream.url(), "vendor", "vendor-secret").seedAll();
    turnstile = new TurnstileProcess(dir.resolve("turnstile")).start(upstream.url(), "vendor", "vendor-secret");
    String customer = turnstile.cli("customer", "create", "--name", "Acme").get("id").asText();
    JsonNode l = turnstile.cli("license", "create", "--customer", customer, "--application", "app", "--version", "1.0.0");
    licenseId = l.get("id").asText();
    key = l.get("key").asText();
    tokenRegistry = Distribution.tokenAuth(dir.resolve("token-registry"), storage, turnstile.url() + "/token",
        "turnstile", "turnstile", turnstile.certificate()).start();
  }

  @AfterAll
  void stop() {
    if (tokenRegistry != null) tokenRegistry.close();
    if (turnstile != null) turnstile.close();
    if (upstream != null) upstream.close();
  }

  private String token(String scope) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(turnstile.url() + "/token?service=turnstile"
        + (scope == null ? "" : "&scope=" + scope))).header("Authorization", "Basic "
        + Base64.getEncoder().encodeToString((licenseId + ":" + key).getBytes(StandardCharsets.UTF_8))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return json.readTree(r.body()).get("token").asText();
  }

  private HttpResponse<String> get(String path, String token) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(tokenRegistry.url() + path))
        .header("Authorization", "Bearer " + token)
        .header("Accept", Seeder.OCI_MANIFEST).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void stockRegistry_acceptsAPullTokenIssuedByTurnstile() throws Exception {
    String token = token("repository:vendor/app:pull");
    assertThat(get("/v2/", token).statusCode()).isEqualTo(200);
    HttpResponse<String> manifest = get("/v2/vendor/app/manifests/1.0.0", token);
    assertThat(manifest.statusCode()).as(manifest.body()).isEqualTo(200);
    assertThat(manifest.headers().firstValue("Docker-Content-Digest")).contains(content.get("vendor/app", "1.0.0").digest());
  }

  @Test
  void stockRegistry_rejectsTheTokenForAnotherRepository() throws Exception {
    String token = token("repository:vendor/app:pull");
    HttpResponse<String> other = get("/v2/charts/app/manifests/0.1.0", token);
    assertThat(other.statusCode()).isEqualTo(401);
    assertThat(other.headers().firstValue("WWW-Authenticate")).get().asString().contains("insufficient_scope");
    HttpResponse<String> unlicensed = get("/v2/vendor/multi/manifests/1.0.0", token("repository:vendor/multi:pull"));
    assertThat(unlicensed.statusCode()).as("Turnstile granted nothing for it").isEqualTo(401);
  }

  @Test
  void stockRegistry_rejectsATamperedToken() throws Exception {
    String token = token("repository:vendor/app:pull");
    String[] parts = token.split("\\.");
    String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8).replace("vendor/app", "vendor/all");
    String forged = parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(payload.getBytes(StandardCharsets.UTF_8))
        + "." + parts[2];
    assertThat(get("/v2/", forged).statusCode()).isEqualTo(401);
  }

  @Test
  void skopeo_followsTheRegistrysChallengeToTurnstile() {
    Proc.require("skopeo");
    Proc.Result r = Proc.run(List.of("skopeo", "inspect", "--raw", "--tls-verify=false", "--creds", licenseId + ":" + key,
        "docker://127.0.0.1:" + tokenRegistry.port + "/vendor/app:1.0.0"), Map.of(), null, Duration.ofMinutes(1));
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(Seeder.sha256(r.out().getBytes(StandardCharsets.UTF_8))).isEqualTo(content.get("vendor/app", "1.0.0").digest());
  }
}
