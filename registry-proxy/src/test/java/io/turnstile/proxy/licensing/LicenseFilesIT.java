package io.turnstile.proxy.licensing;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import io.turnstile.proxy.testing.TestTurnstile;
import io.turnstile.proxy.testing.TestTurnstile.Answer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Entitlements through the admin API, license files, the published keys and the online check. */
class LicenseFilesIT {
  @RegisterExtension
  static WireMockExtension upstream = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

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

  private String customer() throws Exception {
    return ts.admin("POST", "/admin/v1/customers", "{\"name\":\"Acme\"}").body().get("id").asText();
  }

  private Answer create(String customer, String entitlements) throws Exception {
    return ts.admin("POST", "/admin/v1/licenses", "{\"customerId\":\"" + customer
        + "\",\"application\":\"app\",\"versions\":[\"1.0.0\"],\"entitlements\":" + entitlements + "}");
  }

  private JWKSet publishedKeys() throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(ts.registryUrl() + "/.well-known/license-keys.json"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return JWKSet.parse(r.body());
  }

  private HttpResponse<String> validate(String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(ts.registryUrl() + "/v1/licenses/validate"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private JWTClaimsSet checkAnswer(HttpResponse<String> r) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/jwt");
    return new LicenseVerifier(publishedKeys(), LicenseFiles.CHECK_TYPE).verify(r.body());
  }

  @Test
  void entitlements_areShownTypedWithDefaults_andBadOnesAreRefusedNamingTheField() throws Exception {
    String acme = customer();
    Answer created = create(acme, "{\"seats\": 25, \"supportUntil\": \"2027-06-30\"}");
    assertThat(created.status()).as(created.raw()).isEqualTo(201);
    assertThat(created.body().get("entitlements").toString())
        .isEqualTo("{\"seats\":25,\"sso\":false,\"supportUntil\":\"2027-06-30\"}");

    Answer notAnInteger = create(acme, "{\"seats\": \"many\"}");
    assertThat(notAnInteger.status()).isEqualTo(400);
    assertThat(notAnInteger.body().get("field").asText()).isEqualTo("entitlements.seats");
    assertThat(notAnInteger.body().get("error").asText()).contains("'many' is not an integer");
    Answer unknown = create(acme, "{\"nodes\": 3}");
    assertThat(unknown.status()).isEqualTo(400);
    assertThat(unknown.body().get("field").asText()).isEqualTo("entitlements.nodes");
    Answer notADate = ts.admin("PATCH", "/admin/v1/licenses/" + created.body().get("id").asText(),
        "{\"entitlements\": {\"supportUntil\": \"June\"}}");
    assertThat(notADate.status()).isEqualTo(400);
    assertThat(notADate.body().get("field").asText()).isEqualTo("entitlements.supportUntil");
    Answer notAValue = create(acme, "{\"sso\": [true]}");
    assertThat(notAValue.status()).isEqualTo(400);
    assertThat(notAValue.body().get("field").asText()).isEqualTo("entitlements.sso");

    JsonNode fields = ts.admin("GET", "/admin/v1/applications/app/entitlements", null).body().get("entitlements");
    assertThat(fields.toString()).isEqualTo("[{\"name\":\"seats\",\"type\":\"integer\",\"default\":5,\"visible\":true,\"source\":\"config\"},"
        + "{\"name\":\"sso\",\"type\":\"boolean\",\"default\":false,\"visible\":false,\"source\":\"config\"},"
        + "{\"name\":\"supportUntil\",\"type\":\"date\",\"default\":null,\"visible\":true,\"source\":\"config\"}]");
  }

  @Test
  void theFile_isReissuedAfterAnEdit_andVerifiesWithThePublishedKeys() throws Exception {
    JsonNode license = create(customer(), "{\"seats\": 10}").body();
    String id = license.get("id").asText();
    Answer first = ts.admin("GET", "/admin/v1/licenses/" + id + "/file", null);
    assertThat(first.status()).isEqualTo(200);
    LicenseVerifier verifier = LicenseVerifier.files(publishedKeys());
    assertThat(verifier.verify(first.raw()).getJSONObjectClaim("entitlements")).containsEntry("seats", 10L);

    Answer edited = ts.admin("PATCH", "/admin/v1/licenses/" + id, "{\"entitlements\": {\"seats\": 25, \"sso\": true}}");
    assertThat(edited.status()).as(edited.raw()).isEqualTo(200);
    JWTClaimsSet after = verifier.verify(ts.admin("GET", "/admin/v1/licenses/" + id + "/file", null).raw());
    assertThat(after.getJSONObjectClaim("entitlements")).isEqualTo(Map.of("seats", 25L, "sso", true));
    assertThat(after.getStringClaim("updatedAt")).isEqualTo(edited.body().get("updatedAt").asText());
    JsonNode history = ts.admin("GET", "/admin/v1/licenses/" + id, null).body().get("history");
    assertThat(history.get(history.size() - 1).get("action").asText()).isEqualTo("license.entitlements_changed");
    assertThat(history.get(history.size() - 1).get("detail").asText()).isEqualTo("seats: 10 -> 25, sso: default -> true");

    assertThat(ts.admin("GET", "/admin/v1/license-keys", null).body().toString())
        .isEqualTo(ts.json.readTree(publishedKeys().toString()).toString());
    ts.admin("DELETE", "/admin/v1/licenses/" + id, null);
    assertThat(ts.admin("GET", "/admin/v1/licenses/" + id + "/file", null).status()).isEqualTo(409);
  }

  @Test
  void theCheck_answersActiveExpiredAndRevoked_signed_byKeyOrByFile() throws Exception {
    JsonNode license = create(customer(), "{\"seats\": 25}").body();
    String id = license.get("id").asText();
    String byKey = "{\"licenseId\":\"" + id + "\",\"key\":\"" + license.get("key").asText() + "\",\"nonce\":\"n-1\"}";
    JWTClaimsSet active = checkAnswer(validate(byKey));
    assertThat(active.getSubject()).isEqualTo(id);
    assertThat(active.getStringClaim("state")).isEqualTo("active");
    assertThat(active.getStringClaim("nonce")).isEqualTo("n-1");
    assertThat(active.getJSONObjectClaim("entitlements")).containsEntry("seats", 25L);

    String file = ts.admin("GET", "/admin/v1/licenses/" + id + "/file", null).raw();
    assertThat(checkAnswer(validate("{\"file\":\"" + file + "\"}")).getStringClaim("state")).isEqualTo("active");

    ts.admin("PATCH", "/admin/v1/licenses/" + id, "{\"expiresAt\":\"2020-01-01T00:00:00Z\"}");
    JWTClaimsSet expired = checkAnswer(validate(byKey));
    assertThat(expired.getStringClaim("state")).isEqualTo("expired");
    assertThat(expired.getStringClaim("expiresAt")).isEqualTo("2020-01-01T00:00:00Z");

    ts.admin("DELETE", "/admin/v1/licenses/" + id, null);
    assertThat(checkAnswer(validate(byKey)).getStringClaim("state")).isEqualTo("revoked");
    assertThat(checkAnswer(validate("{\"file\":\"" + file + "\"}")).getStringClaim("state")).isEqualTo("revoked");
  }

  @Test
  void theCheck_neverAnswersForAWrongKey_andIsThrottledLikeLogins() throws Exception {
    JsonNode license = create(customer(), "{\"seats\": 25}").body();
    String id = license.get("id").asText();
    HttpResponse<String> wrong = validate("{\"licenseId\":\"" + id + "\",\"key\":\"tsk_wrong\"}");
    HttpResponse<String> unknown = validate("{\"licenseId\":\"lic_nosuchlicense\",\"key\":\"tsk_wrong\"}");
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(wrong.body()).isEqualTo(unknown.body()).doesNotContain(id).doesNotContain("active").doesNotContain("seats");
    // The customer's key of another kind (the customer-level key) is no license key either.
    String customerKey = ts.admin("POST", "/admin/v1/customers/" + license.get("customerId").asText() + "/keys", null)
        .body().get("key").asText();
    assertThat(validate("{\"licenseId\":\"" + id + "\",\"key\":\"" + customerKey + "\"}").statusCode()).isEqualTo(401);
    assertThat(validate("{\"licenseId\":\"" + id + "\"}").statusCode()).isEqualTo(400);
    assertThat(validate("{\"file\":\"eyJhbGciOiJub25lIn0.e30.\"}").statusCode()).isEqualTo(401);

    for (int i = 0; i < 10; i++) {
      validate("{\"licenseId\":\"" + id + "\",\"key\":\"tsk_guess" + i + "\"}");
    }
    HttpResponse<String> throttled = validate(
        "{\"licenseId\":\"" + id + "\",\"key\":\"" + license.get("key").asText() + "\"}");
    assertThat(throttled.statusCode()).as("the right key too, once the budget is spent").isEqualTo(429);
    assertThat(throttled.headers().firstValue("Retry-After")).isPresent();
    assertThat(throttled.body()).doesNotContain("active");
  }
}
