package io.turnstile.proxy.admin;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.core.Options;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.turnstile.proxy.testing.FakeRegistry;
import io.turnstile.proxy.testing.OpenApiContract;
import io.turnstile.proxy.testing.TestTurnstile;
import io.turnstile.proxy.testing.TestTurnstile.Answer;
import io.turnstile.proxy.testing.WebhookReceiver;
import io.turnstile.store.LicenseId;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every operation of the admin API's OpenAPI document, called on the real server with an answer
 * it documents as success, and its failures' shapes: each call goes through {@link
 * TestTurnstile#admin}, which checks the request and the answer against the document, so this
 * class is the contract's full tour (the other ITs check the calls they happen to make). The last
 * test proves the tour covers every documented operation.
 */
class OpenApiContractIT {
  @RegisterExtension
  static WireMockExtension upstream = WireMockExtension.newInstance()
      .options(wireMockConfig().dynamicPort().useChunkedTransferEncoding(Options.ChunkedEncodingPolicy.ALWAYS))
      .build();

  @TempDir Path dir;
  private TestTurnstile ts;
  private WebhookReceiver receiver;
  private final HttpClient http = HttpClient.newHttpClient();
  /** The operations that answered success, as {@code "get /admin/v1/customers/{customerId}"}. */
  private final Set<String> succeeded = new HashSet<>();

  @BeforeEach
  void start() throws Exception {
    new FakeRegistry(upstream).image("org/app", "1.0.0", 1, 300);
    receiver = new WebhookReceiver();
    ts = TestTurnstile.keysInStore(dir, upstream.baseUrl(), """
        webhooks:
          allowHttp: true
          allowAddresses: [127.0.0.0/8]
        """);
  }

  @AfterEach
  void stop() {
    ts.close();
    receiver.close();
  }

  @Test
  void everyDocumentedOperation_answersSuccessAsTheDocumentSays() throws Exception {
    assertThat(call("GET", "/admin/v1/openapi.json", null, 200)).isEqualTo(OpenApiContract.admin().document());

    // Customers and their keys.
    String customer = call("POST", "/admin/v1/customers", "{\"name\":\"Acme\"}", 201).get("id").asText();
    call("GET", "/admin/v1/customers", null, 200);
    String keyId = call("POST", "/admin/v1/customers/" + customer + "/keys", null, 201).get("keyId").asText();
    call("GET", "/admin/v1/customers/" + customer + "/keys", null, 200);
    call("DELETE", "/admin/v1/customers/" + customer + "/keys/" + keyId, null, 204);

    // A license with every field, changed, granted and withdrawn.
    JsonNode created = call("POST", "/admin/v1/licenses", """
        {"name": "Acme prod", "customerId": "%s", "application": "app", "expiresAt": "2099-01-01",
         "versions": ["1.0.0"], "ranges": ["2.x", {"range": "~3.1.0", "includePrerelease": true}],
         "keepReleasedBeforeExpiry": true, "upstreamCredentials": {"username": "acme", "password": "s3cret"}}
        """.formatted(customer), 201);
    String license = created.get("id").asText();
    String key = created.get("key").asText();
    String l = "/admin/v1/licenses/" + license;
    call("GET", "/admin/v1/licenses", null, 200);
    call("GET", "/admin/v1/licenses?customerId=" + customer, null, 200);
    call("PATCH", l, "{\"name\": \"Acme\", \"expiresAt\": null, \"upstreamCredentials\": null}", 200);
    call("POST", l + "/versions", "{\"versions\": [\"1.1.0\"]}", 200);
    call("DELETE", l + "/versions/1.1.0", null, 200);
    call("POST", l + "/ranges", "{\"ranges\": [\">=4.0.0 <5.0.0\"]}", 200);
    call("DELETE", l + "/ranges/" + URLEncoder.encode(">=4.0.0 <5.0.0", StandardCharsets.UTF_8).replace("+", "%20"),
        null, 200);
    call("POST", l + "/pull-secret", "{\"key\": \"" + key + "\", \"namespace\": \"prod\"}", 200);
    call("PATCH", "/admin/v1/customers/" + customer, "{\"name\": \"Acme Corporation\"}", 200);
    String other = call("POST", "/admin/v1/customers", "{\"name\":\"Initech\"}", 201).get("id").asText();
    call("POST", l + "/move", "{\"customerId\": \"" + other + "\"}", 200);
    call("POST", l + "/move", "{\"customerId\": \"" + customer + "\"}", 200);
    call("GET", l + "/file", null, 200);
    call("PUT", "/admin/v1/applications/app/entitlements/nodes", "{\"type\": \"integer\", \"default\": 3}", 201);
    call("PUT", "/admin/v1/applications/app/entitlements/nodes",
        "{\"type\": \"integer\", \"default\": 5, \"visible\": true}", 200);
    call("GET", "/admin/v1/applications/app/entitlements", null, 200);
    call("DELETE", "/admin/v1/applications/app/entitlements/nodes", null, 204);
    call("GET", "/admin/v1/license-keys", null, 200);
    call("PUT", l + "/limits/manifestPullsPerDay", "{\"limit\": 1000, \"mode\": \"watch\"}", 200);
    call("GET", l + "/usage", null, 200);
    call("DELETE", l + "/limits/manifestPullsPerDay", null, 204);
    call("GET", "/admin/v1/fleet/address-jumps?min=1", null, 200);

    // A pull, so that the logs and the fleet have rows to show.
    assertThat(pull(license, key)).isEqualTo(200);
    // A pull is recorded once its answer is written, which the client can see a moment before.
    until("the pull's record", () -> {
      assertThat(ts.server.pullAudit().flush(Duration.ofSeconds(10))).isTrue();
      return call("GET", "/admin/v1/pulls?licenseId=" + license + "&limit=1", null, 200).get("pulls").size() == 1;
    });
    call("GET", "/admin/v1/pulls?format=csv", null, 200);
    call("GET", l, null, 200);
    call("GET", "/admin/v1/customers/" + customer, null, 200);
    JsonNode activity = call("GET", "/admin/v1/activity?actor=admin-token&limit=2", null, 200);
    call("GET", "/admin/v1/activity?cursor=" + activity.get("next").asText(), null, 200);
    call("GET", "/admin/v1/activity?format=csv&since=2020-01-01", null, 200);
    assertThat(call("GET", "/admin/v1/fleet/versions?application=app", null, 200).get("licenses")).hasSize(1);
    call("GET", "/admin/v1/fleet/versions?format=csv", null, 200);
    call("GET", "/admin/v1/fleet/adoption?days=7", null, 200);
    call("GET", "/admin/v1/fleet/attention", null, 200);
    call("GET", "/admin/v1/applications", null, 200);

    // Pull tokens are made by the customer in the portal; the vendor lists and revokes them.
    String token = ts.server.store().pullTokens().create(new LicenseId(license), "ci", null, "test").token().id();
    call("GET", l + "/pull-tokens", null, 200);
    call("DELETE", l + "/pull-tokens/" + token, null, 200);
    call("POST", l + "/key", null, 201);

    // API tokens.
    JsonNode apiToken = call("POST", "/admin/v1/api-tokens",
        "{\"name\": \"ci\", \"role\": \"viewer\", \"expiresAt\": \"2099-01-01\"}", 201);
    call("GET", "/admin/v1/api-tokens", null, 200);
    call("DELETE", "/admin/v1/api-tokens/" + apiToken.get("id").asText(), null, 200);

    // Signing keys kept in the store: add, activate, retire the first.
    String first = call("GET", "/admin/v1/signing-keys", null, 200).get("keys").get(0).get("kid").asText();
    String added = call("POST", "/admin/v1/signing-keys", null, 201).get("kid").asText();
    call("POST", "/admin/v1/signing-keys/" + added + "/activate", null, 200);
    call("DELETE", "/admin/v1/signing-keys/" + first, null, 200);

    // License-signing keys kept in the store: add, activate, retire the first.
    String firstLicenseKey = call("GET", "/admin/v1/license-keys", null, 200).get("keys").get(0).get("kid").asText();
    String addedLicenseKey = call("POST", "/admin/v1/license-keys", null, 201).get("kid").asText();
    call("POST", "/admin/v1/license-keys/" + addedLicenseKey + "/activate", null, 200);
    call("DELETE", "/admin/v1/license-keys/" + firstLicenseKey, null, 200);
    assertThat(call("GET", "/admin/v1/license-keys/states", null, 200).get("keys")).as("the retired key too").hasSize(2);

    // Webhooks, with a delivery to a real receiver.
    String hook = call("POST", "/admin/v1/webhooks", "{\"url\": \"" + receiver.url() + "\", \"description\": \"crm\"}",
        201).get("id").asText();
    String w = "/admin/v1/webhooks/" + hook;
    call("GET", "/admin/v1/webhooks", null, 200);
    call("GET", w, null, 200);
    call("PATCH", w, "{\"events\": [\"license.created\", \"webhook.test\"], \"enabled\": true}", 200);
    call("POST", w + "/test", null, 202);
    until("the test event is delivered", () -> {
      JsonNode d = call("GET", w + "/deliveries?limit=10", null, 200).get("deliveries");
      return d.size() == 1 && d.get(0).get("state").asText().equals("delivered");
    });
    String delivery = call("GET", w + "/deliveries", null, 200).get("deliveries").get(0).get("id").asText();
    call("POST", w + "/deliveries/" + delivery + "/redeliver", null, 202);
    call("POST", w + "/rotate-secret", null, 200);
    call("DELETE", w, null, 204);

    // The end of the license and the customer.
    call("DELETE", l, null, 200);
    call("DELETE", "/admin/v1/customers/" + customer, null, 204);

    Set<String> documented = new HashSet<>();
    // A license's bundle streams a tar from the upstream's content; BundlesIT and BundlesE2E call it.
    OpenApiContract.admin().operations().stream().filter(op -> !op.path().endsWith("/bundle"))
        .forEach(op -> documented.add(op.method() + " " + op.path()));
    assertThat(succeeded).as("operations called with success").containsExactlyInAnyOrderElementsOf(documented);
  }

  @Test
  void failures_answerTheDocumentedErrorBody() throws Exception {
    String customer = call("POST", "/admin/v1/customers", "{\"name\":\"Acme\"}", 201).get("id").asText();
    assertThat(call("GET", "/admin/v1/customers/cus_nope", null, 404).get("error").asText()).isNotEmpty();
    assertThat(call("POST", "/admin/v1/customers", "{}", 400).get("field").asText()).isEqualTo("name");
    assertThat(call("GET", "/admin/v1/pulls?limit=many", null, 400).get("field").asText()).isEqualTo("limit");
    assertThat(call("PUT", "/admin/v1/customers", null, 405).get("error").asText()).contains("GET, POST");
    assertThat(call("GET", "/admin/v1/no-such-thing", null, 404).get("error").asText())
        .isEqualTo("no such admin resource");
    assertThat(ts.admin("GET", "/admin/v1/customers", null, null).status()).isEqualTo(401);

    String viewer = call("POST", "/admin/v1/api-tokens",
        "{\"name\": \"reader\", \"role\": \"viewer\", \"expiresAt\": \"2099-01-01\"}", 201).get("token").asText();
    Answer refused = ts.admin("POST", "/admin/v1/customers", "{\"name\":\"Globex\"}", viewer);
    assertThat(refused.status()).isEqualTo(403);
    assertThat(refused.body().get("roleNeeded").asText()).isEqualTo("editor");

    String body = "{\"customerId\": \"" + customer + "\", \"application\": \"app\", \"versions\": [\"1.0.0\"]}";
    assertThat(ts.adminWithKey("POST", "/admin/v1/licenses", body, "k-1").status()).isEqualTo(201);
    Answer retried = ts.adminWithKey("POST", "/admin/v1/licenses", body, "k-1");
    assertThat(retried.status()).isEqualTo(409);
    assertThat(retried.body().get("code").asText()).isEqualTo("KEY_ALREADY_ISSUED");
    Answer reused = ts.adminWithKey("POST", "/admin/v1/customers", "{\"name\":\"Other\"}", "k-1");
    assertThat(reused.status()).isEqualTo(422);
    assertThat(reused.body().get("code").asText()).isEqualTo("IDEMPOTENCY_KEY_REUSED");

    String license = call("GET", "/admin/v1/licenses", null, 200).get("licenses").get(0).get("id").asText();
    call("DELETE", "/admin/v1/licenses/" + license, null, 200);
    assertThat(call("POST", "/admin/v1/licenses/" + license + "/versions", "{\"versions\": [\"1.1.0\"]}", 409)
        .get("error").asText()).isNotEmpty();
  }

  @Test
  void swaggerUi_isServedWithTheDocumentsPolicy() throws Exception {
    HttpResponse<String> page = get("/admin/docs");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("swagger-ui-bundle.js").doesNotContain("<script>");
    assertThat(page.headers().firstValue("Content-Security-Policy")).contains(ApiDocsHandler.CONTENT_SECURITY_POLICY);
    for (String asset : new String[] {"/admin/docs/swagger-ui-bundle.js", "/admin/docs/swagger-ui.css",
        "/admin/docs/docs.js"}) {
      HttpResponse<String> a = get(asset);
      assertThat(a.statusCode()).as(asset).isEqualTo(200);
      assertThat(a.body()).as(asset).isNotEmpty();
    }
    assertThat(get("/admin/docs/../v1/customers").statusCode()).as("nothing else is looked up").isNotEqualTo(200);
  }

  /** An admin call that must answer {@code status}; its JSON body, or null. */
  private JsonNode call(String method, String path, String body, int status) throws Exception {
    Answer a = ts.admin(method, path, body);
    assertThat(a.status()).as("%s %s: %s", method, path, a.raw()).isEqualTo(status);
    if (status >= 200 && status < 300) {
      String template = OpenApiContract.admin().pathTemplate(URI.create(path).getRawPath());
      succeeded.add(method.toLowerCase() + " " + template);
    }
    return a.body();
  }

  private int pull(String username, String key) throws Exception {
    String basic = TestTurnstile.basic(username, key);
    return http.send(HttpRequest.newBuilder(URI.create(ts.registryUrl() + "/v2/vendor/app/manifests/1.0.0"))
        .header("Authorization", basic).header("Accept", FakeRegistry.OCI_MANIFEST).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(ts.adminUrl() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static void until(String what, BooleanSupplierWithException condition) throws Exception {
    Instant deadline = Instant.now().plusSeconds(20);
    while (!condition.getAsBoolean()) {
      assertThat(Instant.now()).as("waiting for: %s", what).isBefore(deadline);
      Thread.sleep(50);
    }
  }

  @FunctionalInterface
  private interface BooleanSupplierWithException {
    boolean getAsBoolean() throws Exception;
  }
}
