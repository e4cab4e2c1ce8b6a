package io.turnstile.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.turnstile.e2e.HelmChart.Rendered;
import io.turnstile.testkit.Distribution;
import io.turnstile.testkit.Proc;
import io.turnstile.testkit.Seeder;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What the Helm chart renders runs the real jar: its ConfigMap as the configuration file, its
 * Secret as the container's environment and the signing key file, with the pod's two directories
 * ({@code /data} and the Secret's mount) moved under a temp dir. The vendor works it with the CLI
 * as NOTES.txt says (the container's environment is all it needs), a license pulls through it
 * from an upstream whose password only the Secret holds, and a stock distribution registry
 * accepts the tokens signed with the key the chart generated.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HelmChartRunsE2E {
  private final String jar = System.getProperty("turnstile.jar", "../registry-proxy/target/turnstile.jar");
  private final ObjectMapper json = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();
  private Path dir;
  private Distribution upstream;
  private Seeder content;
  private Process turnstile;
  private Distribution tokenRegistry;
  private Map<String, String> env;
  private String publicUrl;
  private Path certificate;

  @BeforeAll
  void start() throws Exception {
    dir = Files.createTempDirectory("turnstile-chart-e2e");
    Path storage = dir.resolve("storage");
    upstream = Distribution.basic(dir.resolve("upstream"), storage, Map.of("vendor", "vendor-secret")).start();
    content = new Seeder(upstream.url(), "vendor", "vendor-secret").seedAll();

    Proc.onFreePorts("turnstile from the chart", attempt -> {
      try {
        startFromTheChart(Proc.freePort(), Proc.freePort());
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, () -> dir.resolve("turnstile.log"));
    tokenRegistry = Distribution.tokenAuth(dir.resolve("token-registry"), storage, publicUrl + "/token",
        "turnstile", "turnstile", certificate).start();
  }

  /**
   * Renders the chart for these ports and runs what it renders, on a data directory of its own (a
   * rendering generates new keys); returns once it serves.
   */
  private void startFromTheChart(int port, int adminPort) throws Exception {
    publicUrl = "http://127.0.0.1:" + port;
    Rendered chart = HelmChart.render("""
        publicUrl: %s
        ports: {registry: %d, admin: %d}
        config:
          upstreams:
            - {name: vendor, url: "%s", username: vendor}
          applications:
            - name: app
              repositories:
                - {name: vendor/app, upstream: vendor}
        secrets:
          upstreamPasswords: {vendor: vendor-secret}
        """.formatted(publicUrl, port, adminPort, upstream.url()));

    Map<String, String> secret = chart.secretData();
    env = chart.environment(HelmChart.RELEASE + "-turnstile", secret);
    Path data = Files.createTempDirectory(dir, "data-");
    Path secretMount = Files.createDirectories(dir.resolve("secret"));
    Files.writeString(secretMount.resolve("signing-key.pem"), secret.get("signing-key.pem"));
    Files.writeString(secretMount.resolve("license-signing-key.pem"), secret.get("license-signing-key.pem"));
    String pem = secret.get("signing-key.pem");
    certificate = Files.writeString(dir.resolve("token-cert.pem"), pem.substring(pem.indexOf("-----BEGIN CERTIFICATE-----")));
    Path config = Files.writeString(dir.resolve("turnstile.yaml"), chart.configFile()
        .replace(chart.mountPath("data") + "/", data + "/")
        .replace(chart.mountPath("signing-key") + "/", secretMount + "/"));

    List<String> command = new ArrayList<>(List.of("java", "-Xmx256m", "-jar", jar));
    chart.container().path("args").forEach(a -> command.add(a.asText()));
    assertThat(command.get(command.size() - 1)).as("the container reads the ConfigMap's file")
        .isEqualTo(chart.mountPath("config") + "/turnstile.yaml");
    command.set(command.size() - 1, config.toString());
    turnstile = Proc.start(command, env, dir.resolve("turnstile.log"));
    Path log = dir.resolve("turnstile.log");
    Proc.await("turnstile from the chart on " + port, Duration.ofSeconds(60), () -> {
      if (!turnstile.isAlive()) {
        throw new AssertionError("turnstile exited; see " + log);
      }
      // Written once both listeners are bound: until then, an answer could come from another program.
      try {
        if (!Files.readString(log).contains("admin API listening on")) {
          return false;
        }
      } catch (java.io.IOException e) {
        return false;
      }
      return Proc.httpStatus(publicUrl + "/v2/") == 401;
    });
  }

  @AfterAll
  void stop() {
    if (tokenRegistry != null) tokenRegistry.close();
    Proc.stop(turnstile);
    if (upstream != null) upstream.close();
  }

  /** The CLI as {@code kubectl exec} runs it in the pod: the container's environment, no flags. */
  private JsonNode cli(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("java", "-Xmx64m", "-jar", jar));
    command.addAll(List.of(args));
    command.addAll(List.of("-o", "json"));
    Proc.Result r = Proc.run(command, env, null, Duration.ofMinutes(1));
    assertThat(r.exit()).as(r.all()).isZero();
    return json.readTree(r.out());
  }

  private String token(String credentials, String scope) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(publicUrl + "/token?service=turnstile&scope="
        + scope)).header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
            credentials.getBytes(StandardCharsets.UTF_8))).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return json.readTree(r.body()).get("token").asText();
  }

  private HttpResponse<String> manifest(String registry, String token) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(registry + "/v2/vendor/app/manifests/1.0.0"))
        .header("Authorization", "Bearer " + token).header("Accept", Seeder.OCI_MANIFEST).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private String newLicense() throws Exception {
    String customer = cli("customer", "create", "--name", "Acme").get("id").asText();
    JsonNode license = cli("license", "create", "--customer", customer, "--application", "app", "--version", "1.0.0");
    return license.get("id").asText() + ":" + license.get("key").asText();
  }

  @Test
  void cliWithThePodsEnvironment_createsALicense_thatPullsThroughTheUpstreamPasswordOfTheSecret() throws Exception {
    String token = token(newLicense(), "repository:vendor/app:pull");
    HttpResponse<String> m = manifest(publicUrl, token);
    assertThat(m.statusCode()).as(m.body()).isEqualTo(200);
    assertThat(m.headers().firstValue("Docker-Content-Digest")).contains(content.get("vendor/app", "1.0.0").digest());
  }

  @Test
  void stockRegistry_acceptsTokensSignedWithTheKeyTheChartGenerated() throws Exception {
    String token = token(newLicense(), "repository:vendor/app:pull");
    HttpResponse<String> m = manifest(tokenRegistry.url(), token);
    assertThat(m.statusCode()).as(m.body()).isEqualTo(200);
    assertThat(m.headers().firstValue("Docker-Content-Digest")).contains(content.get("vendor/app", "1.0.0").digest());
  }
}
