package io.turnstile.proxy.licensing;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.nimbusds.jose.jwk.JWKSet;
import io.turnstile.proxy.testing.TestTurnstile;
import io.turnstile.proxy.testing.TestTurnstile.Answer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Entitlement fields defined through the admin API: used like configured ones by licenses, their
 * files and the online check, and refused where they would clash with the configuration or with
 * values licenses hold.
 */
class EntitlementFieldsApiIT {
  @RegisterExtension
  static WireMockExtension upstream = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

  private static final String FIELDS = "/admin/v1/applications/app/entitlements";

  @TempDir Path dir;
  private TestTurnstile ts;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    ts = TestTurnstile.withEntitlements(dir, upstream.baseUrl(), "");
  }

  @AfterEach
  void stop() {
    ts.close();
  }

  private JsonNode license(String entitlements) throws Exception {
    String customer = ts.admin("POST", "/admin/v1/customers", "{\"name\":\"Acme\"}").body().get("id").asText();
    Answer a = ts.admin("POST", "/admin/v1/licenses", "{\"customerId\":\"" + customer
        + "\",\"application\":\"app\",\"versions\":[\"1.0.0\"],\"entitlements\":" + entitlements + "}");
    assertThat(a.status()).as(a.raw()).isEqualTo(201);
    return a.body();
  }

  private JWKSet publishedKeys() throws Exception {
    return JWKSet.parse(http.send(HttpRequest.newBuilder(URI.create(ts.registryUrl() + "/.well-known/license-keys.json"))
        .build(), HttpResponse.BodyHandlers.ofString()).body());
  }

  private static void refused(Answer a, int status, String field, String message) {
    assertThat(a.status()).as(a.raw()).isEqualTo(status);
    if (field != null) {
      assertThat(a.body().get("field").asText()).isEqualTo(field);
    }
    assertThat(a.body().get("error").asText()).contains(message);
  }

  @Test
  void aFieldDefinedThroughTheApi_isListed_takesValues_andIsInTheLicenseFileAndTheOnlineCheck() throws Exception {
    Answer defined = ts.admin("PUT", FIELDS + "/nodes", "{\"type\":\"integer\",\"default\":3,\"visible\":true}");
    assertThat(defined.status()).as(defined.raw()).isEqualTo(201);
    assertThat(defined.body().toString())
        .isEqualTo("{\"name\":\"nodes\",\"type\":\"integer\",\"default\":3,\"visible\":true,\"source\":\"api\"}");
    JsonNode fields = ts.admin("GET", FIELDS, null).body().get("entitlements");
    assertThat(fields).extracting(f -> f.get("name").asText() + ":" + f.get("source").asText())
        .containsExactly("seats:config", "sso:config", "supportUntil:config", "nodes:api");
    JsonNode apps = ts.admin("GET", "/admin/v1/applications", null).body().get("applications");
    assertThat(apps.get(0).get("entitlements").get(3).get("source").asText()).isEqualTo("api");

    JsonNode license = license("{\"nodes\": 8}");
    assertThat(license.get("entitlements").get("nodes").asLong()).isEqualTo(8);
    String id = license.get("id").asText();
    String file = ts.admin("GET", "/admin/v1/licenses/" + id + "/file", null).raw();
    assertThat(LicenseVerifier.files(publishedKeys()).verify(file).getJSONObjectClaim("entitlements"))
        .containsEntry("nodes", 8L).containsEntry("seats", 5L);
    HttpResponse<String> check = http.send(HttpRequest.newBuilder(URI.create(ts.registryUrl() + "/v1/licenses/validate"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"file\":\"" + file + "\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(new LicenseVerifier(publishedKeys(), LicenseFiles.CHECK_TYPE).verify(check.body())
        .getJSONObjectClaim("entitlements")).containsEntry("nodes", 8L);

    // A new default reaches the licenses that set no value, with no edit of theirs.
    String earlier = license("{}").get("id").asText();
    assertThat(ts.admin("PUT", FIELDS + "/nodes", "{\"type\":\"integer\",\"default\":4}").status()).isEqualTo(200);
    assertThat(ts.admin("GET", "/admin/v1/licenses/" + earlier, null).body().get("entitlements").get("nodes").asLong())
        .isEqualTo(4);
    JsonNode other = license("{}");
    assertThat(other.get("entitlements").get("nodes").asLong()).isEqualTo(4);

    JsonNode activity = ts.admin("GET", "/admin/v1/activity?limit=50", null).body().get("activity");
    assertThat(activity).extracting(r -> r.get("action").asText())
        .contains("application.entitlement_defined", "application.entitlement_changed");
  }

  @Test
  void configuredFields_unknownApplications_andBadDefinitions_areRefusedNamingWhy() throws Exception {
    refused(ts.admin("PUT", FIELDS + "/seats", "{\"type\":\"string\"}"), 409, null, "defined in the configuration");
    refused(ts.admin("DELETE", FIELDS + "/seats", null), 409, null, "defined in the configuration");
    refused(ts.admin("PUT", "/admin/v1/applications/nope/entitlements/x", "{\"type\":\"string\"}"), 404, null,
        "no application 'nope'");
    refused(ts.admin("PUT", FIELDS + "/9lives", "{\"type\":\"string\"}"), 400, "name", "must start with a letter");
    refused(ts.admin("PUT", FIELDS + "/tier", "{\"type\":\"text\"}"), 400, "type", "'text' is not integer");
    refused(ts.admin("PUT", FIELDS + "/tier", "{\"default\":\"gold\"}"), 400, "type", "required");
    refused(ts.admin("PUT", FIELDS + "/nodes", "{\"type\":\"integer\",\"default\":\"many\"}"), 400, "default",
        "'many' is not an integer");
    refused(ts.admin("DELETE", FIELDS + "/never", null), 404, null, "no entitlement field 'never'");

    String viewer = ts.admin("POST", "/admin/v1/api-tokens", "{\"name\":\"look\",\"role\":\"viewer\",\"expiresAt\":\""
        + Instant.now().plus(Duration.ofDays(7)) + "\"}").body().get("token").asText();
    assertThat(ts.admin("GET", FIELDS, null, viewer).status()).isEqualTo(200);
    refused(ts.admin("PUT", FIELDS + "/tier", "{\"type\":\"string\"}", viewer), 403, null, "editor");
  }

  @Test
  void theTypeAndTheField_stayWhileLicensesHoldValuesThatNeedThem() throws Exception {
    assertThat(ts.admin("PUT", FIELDS + "/tier", "{\"type\":\"string\"}").status()).isEqualTo(201);
    String id = license("{\"tier\": \"gold\"}").get("id").asText();

    refused(ts.admin("PUT", FIELDS + "/tier", "{\"type\":\"integer\"}"), 409, null,
        "1 license holds a value that is not an integer (" + id + ")");
    refused(ts.admin("DELETE", FIELDS + "/tier", null), 409, null, "1 license holds a value for it");

    assertThat(ts.admin("PATCH", "/admin/v1/licenses/" + id, "{\"entitlements\": {\"tier\": null}}").status())
        .isEqualTo(200);
    assertThat(ts.admin("PUT", FIELDS + "/tier", "{\"type\":\"integer\"}").status()).isEqualTo(200);
    assertThat(ts.admin("DELETE", FIELDS + "/tier", null).status()).isEqualTo(204);
    refused(ts.admin("PATCH", "/admin/v1/licenses/" + id, "{\"entitlements\": {\"tier\": 1}}"), 400,
        "entitlements.tier", "has no entitlement field 'tier'");
  }
}
