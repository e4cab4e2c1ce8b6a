package io.turnstile.proxy.admin;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static io.turnstile.store.testing.Eventually.until;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.core.Options;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.turnstile.proxy.testing.FakeRegistry;
import io.turnstile.proxy.testing.TestTurnstile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fleet routes through the real server: pulls made through Turnstile by two customers show as
 * their versions in use, as the day's adoption, and (for the version the configuration marks end
 * of life) as needing attention; JSON with the bearer token, CSV by {@code Accept}.
 */
class FleetApiIT {
  @RegisterExtension
  static WireMockExtension upstream = WireMockExtension.newInstance()
      .options(wireMockConfig().dynamicPort().useChunkedTransferEncoding(Options.ChunkedEncodingPolicy.ALWAYS))
      .build();

  @TempDir Path dir;
  private TestTurnstile ts;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    FakeRegistry registry = new FakeRegistry(upstream);
    registry.image("org/app", "1.0.0", 1, 200);
    registry.image("org/app", "1.1.0", 1, 200);
    ts = new TestTurnstile(dir, upstream.baseUrl());
  }

  @AfterEach
  void stop() {
    ts.close();
  }

  private void pull(TestTurnstile.Login login, String tag) throws Exception {
    HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(ts.registryUrl() + "/v2/vendor/app/manifests/" + tag))
        .header("Authorization", login.basic()).header("Accept", FakeRegistry.OCI_MANIFEST)
        .header("User-Agent", "docker/27.0.3").build(), HttpResponse.BodyHandlers.discarding());
    assertThat(r.statusCode()).isEqualTo(200);
  }

  /** The fleet's versions once {@code n} licenses show there: a pull is recorded once answered. */
  private JsonNode versions(int n) throws Exception {
    JsonNode[] out = new JsonNode[1];
    until(n + " licenses in the fleet's versions", () -> {
      assertThat(ts.server.pullAudit().flush(Duration.ofSeconds(10))).isTrue();
      TestTurnstile.Answer a = ts.admin("GET", "/admin/v1/fleet/versions", null);
      assertThat(a.status()).as(a.raw()).isEqualTo(200);
      out[0] = a.body();
      return a.body().get("licenses").size() >= n;
    });
    return out[0];
  }

  @Test
  void pullsThroughTurnstile_showAsVersionsInUse_adoption_andEndOfLifeAttention() throws Exception {
    TestTurnstile.Login acme = ts.license("app", "1.0.0", "1.1.0");
    TestTurnstile.Login globex = ts.license("app", "1.1.0");
    pull(acme, "1.1.0");
    pull(globex, "1.1.0");
    // Acme's last pull is the older version, which the configuration marks end of life.
    assertThat(ts.server.pullAudit().flush(Duration.ofSeconds(10))).isTrue();
    pull(acme, "1.0.0");

    JsonNode v = versions(2);
    assertThat(v.get("licenses")).hasSize(2);
    until("Acme's last version to be 1.0.0", () -> {
      assertThat(ts.server.pullAudit().flush(Duration.ofSeconds(10))).isTrue();
      JsonNode rows = ts.admin("GET", "/admin/v1/fleet/versions?application=app", null).body().get("licenses");
      for (JsonNode row : rows) {
        if (row.get("licenseId").asText().equals(acme.username())) {
          return row.get("version").asText().equals("1.0.0") && row.get("endOfLife").asBoolean()
              && row.get("clientAddresses").asLong() == 1 && row.get("customerName").asText().equals("Acme");
        }
      }
      return false;
    });

    JsonNode adoption = ts.admin("GET", "/admin/v1/fleet/adoption?days=7", null).body();
    assertThat(adoption.get("days")).hasSize(7);
    assertThat(adoption.get("days").get(6).asText()).isEqualTo(LocalDate.now(ZoneOffset.UTC).toString());
    assertThat(adoption.get("series")).hasSize(2);
    JsonNode v110 = adoption.get("series").get(1);
    assertThat(v110.get("version").asText()).isEqualTo("1.1.0");
    assertThat(v110.get("licenses").get(6).asLong()).as("two licenses pulled 1.1.0 today").isEqualTo(2);

    JsonNode attention = ts.admin("GET", "/admin/v1/fleet/attention", null).body();
    assertThat(attention.get("licenses")).hasSize(1);
    assertThat(attention.get("licenses").get(0).get("reason").asText()).isEqualTo("endOfLife");
    assertThat(attention.get("licenses").get(0).get("licenseId").asText()).isEqualTo(acme.username());

    HttpResponse<String> csv = http.send(HttpRequest.newBuilder(URI.create(ts.adminUrl() + "/admin/v1/fleet/versions"))
        .header("Authorization", "Bearer " + TestTurnstile.ADMIN_TOKEN).header("Accept", "text/csv").build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(csv.statusCode()).isEqualTo(200);
    assertThat(csv.headers().firstValue("Content-Type")).hasValue("text/csv; charset=utf-8");
    assertThat(csv.body()).startsWith("customerId,customerName,licenseId,licenseName,application,version,")
        .contains("," + acme.username() + ",app,app,1.0.0,").contains("," + globex.username() + ",app,app,1.1.0,")
        .doesNotContain(acme.key());
  }

  @Test
  void fleetRoutes_wantTheBearerToken_refuseWrites_andNameABadParameter() throws Exception {
    HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(URI.create(ts.adminUrl() + "/admin/v1/fleet/versions"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(anonymous.statusCode()).isEqualTo(401);
    TestTurnstile.Answer post = ts.admin("POST", "/admin/v1/fleet/attention", "{}");
    assertThat(post.status()).isEqualTo(405);
    TestTurnstile.Answer bad = ts.admin("GET", "/admin/v1/fleet/adoption?application=nope", null);
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.body().get("field").asText()).isEqualTo("application");
    JsonNode apps = ts.admin("GET", "/admin/v1/applications", null).body().get("applications");
    assertThat(apps.get(0).get("endOfLife").toString()).isEqualTo("[\"1.0.0\"]");
  }
}
