package io.turnstile.proxy.admin;

import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.turnstile.proxy.testing.TestTurnstile;
import io.turnstile.proxy.testing.TestTurnstile.Answer;
import io.turnstile.store.Access;
import io.turnstile.store.Refusal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class AdminApiIT {
  @RegisterExtension
  static WireMockExtension upstream = WireMockExtension.newInstance()
      .options(wireMockConfig().dynamicPort().useChunkedTransferEncoding(com.github.tomakehurst.wiremock.core.Options.ChunkedEncodingPolicy.ALWAYS))
      .build();

  @TempDir Path dir;
  private TestTurnstile ts;

  @BeforeEach
  void start() throws Exception {
    ts = new TestTurnstile(dir, upstream.baseUrl());
  }

  @AfterEach
  void stop() {
    ts.close();
  }

  private String customer() throws Exception {
    Answer a = ts.admin("POST", "/admin/v1/customers", "{\"name\":\"Acme\"}");
    assertThat(a.status()).isEqualTo(201);
    return a.body().get("id").asText();
  }

  private JsonNode license(String customer, String versions) throws Exception {
    Answer a = ts.admin("POST", "/admin/v1/licenses",
        "{\"customerId\":\"" + customer + "\",\"application\":\"app\",\"versions\":" + versions + "}");
    assertThat(a.status()).as(a.raw()).isEqualTo(201);
    return a.body();
  }

  // ---- authentication ----

  @Test
  void missingOrWrongAdminToken_is401WithoutDetail() throws Exception {
    for (String token : new String[] {null, "wrong", TestTurnstile.ADMIN_TOKEN + "x"}) {
      Answer a = ts.admin("GET", "/admin/v1/customers", null, token);
      assertThat(a.status()).isEqualTo(401);
      assertThat(a.body().toString()).isEqualTo("{\"error\":\"unauthorized\"}");
    }
  }

  @Test
  void wrongAdminTokens_areThrottledPerAddress_rightOneIncluded_withRetryAfter() throws Exception {
    for (int i = 0; i < 10; i++) {
      assertThat(ts.admin("GET", "/admin/v1/customers", null, "wrong-" + i).status()).isEqualTo(401);
    }
    HttpResponse<String> refused = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create(ts.adminUrl() + "/admin/v1/customers")).header("Authorization", "Bearer guess").build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(refused.statusCode()).isEqualTo(429);
    long wait = Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow());
    assertThat(wait).isBetween(1L, 61L);
    assertThat(refused.body()).contains("too many wrong admin tokens from this address");
    // While the budget is spent the token is not looked at, right or wrong: guessing learns nothing.
    assertThat(ts.admin("GET", "/admin/v1/customers", null).status()).isEqualTo(429);
    // No token at all guesses nothing and is not counted; it is still refused while throttled.
    assertThat(ts.admin("GET", "/admin/v1/customers", null, null).status()).isEqualTo(429);
  }

  // ---- customers ----

  @Test
  void customerLifecycle() throws Exception {
    Answer created = ts.admin("POST", "/admin/v1/customers", "{\"name\":\"Acme Corp\"}");
    assertThat(created.status()).isEqualTo(201);
    String id = created.body().get("id").asText();
    assertThat(id).startsWith("cus_");
    assertThat(created.body().get("name").asText()).isEqualTo("Acme Corp");
    assertThat(Instant.parse(created.body().get("createdAt").asText())).isBeforeOrEqualTo(Instant.now());

    assertThat(ts.admin("GET", "/admin/v1/customers", null).body().get("customers"))
        .extracting(n -> n.get("id").asText()).containsExactly(id);
    assertThat(ts.admin("GET", "/admin/v1/customers/" + id, null).body().get("name").asText()).isEqualTo("Acme Corp");

    assertThat(ts.admin("DELETE", "/admin/v1/customers/" + id, null).status()).isEqualTo(204);
    assertThat(ts.admin("GET", "/admin/v1/customers/" + id, null).status()).isEqualTo(404);
    assertThat(ts.admin("GET", "/admin/v1/customers", null).body().get("customers")).isEmpty();
  }

  @Test
  void customerBadInput_is400NamingTheField() throws Exception {
    assertBadRequest(ts.admin("POST", "/admin/v1/customers", "{}"), "name");
    assertBadRequest(ts.admin("POST", "/admin/v1/customers", "{\"name\":42}"), "name");
    assertBadRequest(ts.admin("POST", "/admin/v1/customers", "{\"name\":\"  \"}"), "name");
    assertBadRequest(ts.admin("POST", "/admin/v1/customers", "{\"name\":\"a\",\"nmae\":\"b\"}"), "nmae");
    assertBadRequest(ts.admin("POST", "/admin/v1/customers", "{\"name\":"), null);
    assertBadRequest(ts.admin("POST", "/admin/v1/customers", "[]"), null);
    assertBadRequest(ts.admin("POST", "/admin/v1/customers", null), null);
    assertThat(ts.admin("GET", "/admin/v1/customers", null).body().get("customers")).isEmpty();
  }

  @Test
  void namesWithBidiOverridesOrZeroWidthCharacters_are400NamingTheFieldAndWriteNothing() throws Exception {
    // JSON escapes, so the request itself is plain ASCII.
    assertBadRequest(ts.admin("POST", "/admin/v1/customers", "{\"name\":\"Acme\\u202Egnp.exe\"}"), "name");
    assertBadRequest(ts.admin("POST", "/admin/v1/customers", "{\"name\":\"Ac\\u200Bme\"}"), "name");
    assertThat(ts.admin("GET", "/admin/v1/customers", null).body().get("customers")).isEmpty();

    JsonNode l = license(customer(), "[\"1.0.0\"]");
    String id = l.get("id").asText();
    assertBadRequest(ts.admin("PATCH", "/admin/v1/licenses/" + id, "{\"name\":\"\\u2066prod\\u2069\"}"), "name");
    JsonNode shown = ts.admin("GET", "/admin/v1/licenses/" + id, null).body();
    assertThat(shown.get("name").asText()).isEqualTo("app");
    assertThat(shown.get("history")).hasSize(1);
  }

  @Test
  void unknownIdsAre404_andUnknownRoutesToo() throws Exception {
    assertThat(ts.admin("GET", "/admin/v1/customers/cus_nope", null).status()).isEqualTo(404);
    assertThat(ts.admin("DELETE", "/admin/v1/customers/cus_nope", null).status()).isEqualTo(404);
    assertThat(ts.admin("POST", "/admin/v1/customers/cus_nope/keys", null).status()).isEqualTo(404);
    assertThat(ts.admin("GET", "/admin/v1/licenses/lic_nope", null).status()).isEqualTo(404);
    assertThat(ts.admin("PATCH", "/admin/v1/licenses/lic_nope", "{\"name\":\"x\"}").status()).isEqualTo(404);
    assertThat(ts.admin("POST", "/admin/v1/licenses/lic_nope/versions", "{\"versions\":[\"1\"]}").status()).isEqualTo(404);
    assertThat(ts.admin("DELETE", "/admin/v1/licenses/lic_nope", null).status()).isEqualTo(404);
    assertThat(ts.admin("GET", "/admin/v1/licenses?customerId=cus_nope", null).status()).isEqualTo(404);
    assertThat(ts.admin("GET", "/admin/v1/nothing", null).status()).isEqualTo(404);
    assertThat(ts.admin("PUT", "/admin/v1/customers", "{}").status()).isEqualTo(405);
  }

  @Test
  void customerKeys_areShownOnceAndRevocable() throws Exception {
    String c = customer();
    Answer k = ts.admin("POST", "/admin/v1/customers/" + c + "/keys", null);
    assertThat(k.status()).isEqualTo(201);
    assertThat(k.body().get("username").asText()).isEqualTo(c);
    String key = k.body().get("key").asText();
    assertThat(key).startsWith("tsk_");
    Answer list = ts.admin("GET", "/admin/v1/customers/" + c + "/keys", null);
    assertThat(list.raw()).doesNotContain(key).contains(k.body().get("keyId").asText());
    assertThat(ts.server.store().authorize(c, key)).isInstanceOf(Access.class);
    assertThat(ts.admin("DELETE", "/admin/v1/customers/" + c + "/keys/" + k.body().get("keyId").asText(), null).status())
        .isEqualTo(204);
    assertThat(ts.server.store().authorize(c, key)).isEqualTo(Refusal.BAD_CREDENTIALS);
    assertBadRequest(ts.admin("DELETE", "/admin/v1/customers/" + c + "/keys/key_nope", null), "keyId");
  }

  // ---- licenses ----

  @Test
  void createLicense_returnsTheKeyOnce() throws Exception {
    String c = customer();
    Answer a = ts.admin("POST", "/admin/v1/licenses", """
        {"name":"Production","customerId":"%s","application":"app","expiresAt":"2030-01-01T00:00:00Z",
         "versions":["1.0.0","1.1.0"],"upstreamCredentials":{"username":"cust-bot","password":"up-secret-123"}}
        """.formatted(c));
    assertThat(a.status()).as(a.raw()).isEqualTo(201);
    JsonNode l = a.body();
    String id = l.get("id").asText();
    assertThat(id).startsWith("lic_");
    assertThat(l.get("username").asText()).isEqualTo(id);
    assertThat(l.get("key").asText()).startsWith("tsk_");
    assertThat(l.get("state").asText()).isEqualTo("active");
    assertThat(l.get("expiresAt").asText()).isEqualTo("2030-01-01T00:00:00Z");
    assertThat(l.get("versions")).extracting(JsonNode::asText).containsExactly("1.0.0", "1.1.0");
    assertThat(l.get("upstreamCredentials").get("username").asText()).isEqualTo("cust-bot");
    assertThat(a.raw()).doesNotContain("up-secret-123");

    Answer shown = ts.admin("GET", "/admin/v1/licenses/" + id, null);
    assertThat(shown.status()).isEqualTo(200);
    assertThat(shown.raw()).doesNotContain(l.get("key").asText()).doesNotContain("up-secret-123");
    assertThat(shown.body().get("history").get(0).get("action").asText()).isEqualTo("license.created");
    assertThat(shown.body().get("name").asText()).isEqualTo("Production");

    Answer list = ts.admin("GET", "/admin/v1/licenses?customerId=" + c, null);
    assertThat(list.body().get("licenses")).extracting(n -> n.get("id").asText()).containsExactly(id);
    assertThat(list.raw()).doesNotContain(l.get("key").asText()).doesNotContain("up-secret-123");
  }

  @Test
  void createLicense_badInput_is400AndWritesNothing() throws Exception {
    String c = customer();
    assertBadRequest(ts.admin("POST", "/admin/v1/licenses", "{\"customerId\":\"" + c + "\",\"application\":\"nope\"}"), "application");
    assertBadRequest(ts.admin("POST", "/admin/v1/licenses", "{\"customerId\":\"" + c + "\"}"), "application");
    assertBadRequest(ts.admin("POST", "/admin/v1/licenses", "{\"application\":\"app\"}"), "customerId");
    assertBadRequest(ts.admin("POST", "/admin/v1/licenses", "{\"customerId\":\"cus_nope\",\"application\":\"app\"}"), "customerId");
    assertBadRequest(ts.admin("POST", "/admin/v1/licenses",
        "{\"customerId\":\"" + c + "\",\"application\":\"app\",\"versions\":[\"1.0\",\"not a version\"]}"), "versions[1]");
    assertBadRequest(ts.admin("POST", "/admin/v1/licenses",
        "{\"customerId\":\"" + c + "\",\"application\":\"app\",\"versions\":\"1.0\"}"), "versions");
    assertBadRequest(ts.admin("POST", "/admin/v1/licenses",
        "{\"customerId\":\"" + c + "\",\"application\":\"app\",\"expiresAt\":\"next year\"}"), "expiresAt");
    assertBadRequest(ts.admin("POST", "/admin/v1/licenses",
        "{\"customerId\":\"" + c + "\",\"application\":\"app\",\"upstreamCredentials\":{\"username\":\"x\"}}"),
        "upstreamCredentials.password");
    assertBadRequest(ts.admin("POST", "/admin/v1/licenses",
        "{\"customerId\":\"" + c + "\",\"application\":\"app\",\"upstreamCredentials\":{\"username\":\"x\",\"password\":\"y\",\"token\":\"z\"}}"),
        "upstreamCredentials.token");
    assertThat(ts.admin("GET", "/admin/v1/licenses", null).body().get("licenses")).isEmpty();
    assertThat(ts.server.store().snapshot().licenses()).isEmpty();
  }

  @Test
  void grantAndRevokeVersions_areLiveAtOnce() throws Exception {
    JsonNode l = license(customer(), "[\"1.0.0\"]");
    String id = l.get("id").asText();
    String key = l.get("key").asText();
    Answer granted = ts.admin("POST", "/admin/v1/licenses/" + id + "/versions", "{\"versions\":[\"2.0.0\",\"1.0.0+build.1\"]}");
    assertThat(granted.status()).isEqualTo(200);
    assertThat(granted.body().get("versions")).extracting(JsonNode::asText).containsExactly("1.0.0", "1.0.0+build.1", "2.0.0");
    Access a = (Access) ts.server.store().authorize(id, key);
    assertThat(a.allowsTag("vendor/app", "2.0.0")).isTrue();
    assertThat(a.allowsTag("charts/app", "1.0.0_build.1")).isTrue();

    Answer revoked = ts.admin("DELETE", "/admin/v1/licenses/" + id + "/versions/1.0.0%2Bbuild.1", null);
    assertThat(revoked.status()).as(revoked.raw()).isEqualTo(200);
    assertThat(ts.admin("DELETE", "/admin/v1/licenses/" + id + "/versions/1.0.0", null).status()).isEqualTo(200);
    a = (Access) ts.server.store().authorize(id, key);
    assertThat(a.allowsTag("vendor/app", "1.0.0")).isFalse();
    assertThat(a.allowsTag("charts/app", "1.0.0_build.1")).isFalse();
    assertThat(ts.admin("DELETE", "/admin/v1/licenses/" + id + "/versions/9.9.9", null).status()).isEqualTo(404);
    assertBadRequest(ts.admin("POST", "/admin/v1/licenses/" + id + "/versions", "{\"versions\":[]}"), "versions");
    assertBadRequest(ts.admin("POST", "/admin/v1/licenses/" + id + "/versions", "{\"versions\":[\"../x\"]}"), "versions[0]");

    JsonNode history = ts.admin("GET", "/admin/v1/licenses/" + id, null).body().get("history");
    assertThat(history).extracting(e -> e.get("action").asText()).containsExactly(
        "license.created", "license.versions_granted", "license.version_revoked", "license.version_revoked");
  }

  @Test
  void patchLicense_changesNameExpiryAndCredentials() throws Exception {
    JsonNode l = license(customer(), "[\"1.0.0\"]");
    String id = l.get("id").asText();
    String key = l.get("key").asText();
    Answer p = ts.admin("PATCH", "/admin/v1/licenses/" + id,
        "{\"name\":\"Renamed\",\"expiresAt\":\"2000-01-01T00:00:00Z\",\"upstreamCredentials\":{\"username\":\"u\",\"password\":\"pw-secret-xyz\"}}");
    assertThat(p.status()).as(p.raw()).isEqualTo(200);
    assertThat(p.body().get("name").asText()).isEqualTo("Renamed");
    assertThat(p.body().get("state").asText()).isEqualTo("expired");
    assertThat(p.raw()).doesNotContain("pw-secret-xyz");
    assertThat(ts.server.store().authorize(id, key)).isEqualTo(Refusal.EXPIRED);

    Answer cleared = ts.admin("PATCH", "/admin/v1/licenses/" + id, "{\"expiresAt\":null,\"upstreamCredentials\":null}");
    assertThat(cleared.body().get("expiresAt").isNull()).isTrue();
    assertThat(cleared.body().get("upstreamCredentials").isNull()).isTrue();
    assertThat(ts.server.store().authorize(id, key)).isInstanceOf(Access.class);

    assertBadRequest(ts.admin("PATCH", "/admin/v1/licenses/" + id, "{\"expiresAt\":\"tomorrow\"}"), "expiresAt");
    assertBadRequest(ts.admin("PATCH", "/admin/v1/licenses/" + id, "{\"name\":null}"), "name");
    assertBadRequest(ts.admin("PATCH", "/admin/v1/licenses/" + id, "{\"versions\":[]}"), "versions");
  }

  @Test
  void rotateKey_invalidatesTheOldKey() throws Exception {
    JsonNode l = license(customer(), "[\"1.0.0\"]");
    String id = l.get("id").asText();
    Answer rotated = ts.admin("POST", "/admin/v1/licenses/" + id + "/key", null);
    assertThat(rotated.status()).isEqualTo(201);
    String fresh = rotated.body().get("key").asText();
    assertThat(fresh).startsWith("tsk_").isNotEqualTo(l.get("key").asText());
    assertThat(ts.server.store().authorize(id, l.get("key").asText())).isEqualTo(Refusal.BAD_CREDENTIALS);
    assertThat(ts.server.store().authorize(id, fresh)).isInstanceOf(Access.class);
  }

  @Test
  void deleteLicense_revokesButKeepsTheRecord() throws Exception {
    JsonNode l = license(customer(), "[\"1.0.0\"]");
    String id = l.get("id").asText();
    Answer d = ts.admin("DELETE", "/admin/v1/licenses/" + id, null);
    assertThat(d.status()).isEqualTo(200);
    assertThat(d.body().get("state").asText()).isEqualTo("revoked");
    assertThat(ts.server.store().authorize(id, l.get("key").asText())).isEqualTo(Refusal.REVOKED);
    Answer shown = ts.admin("GET", "/admin/v1/licenses/" + id, null);
    assertThat(shown.status()).isEqualTo(200);
    assertThat(shown.body().get("history")).extracting(e -> e.get("action").asText()).contains("license.revoked");
    assertThat(ts.admin("POST", "/admin/v1/licenses/" + id + "/versions", "{\"versions\":[\"2.0.0\"]}").status()).isEqualTo(409);
  }

  @Test
  void pullSecret_isAKubernetesDockerConfigSecretForThePublicHost() throws Exception {
    JsonNode l = license(customer(), "[\"1.0.0\"]");
    String id = l.get("id").asText();
    String key = l.get("key").asText();
    Answer s = ts.admin("POST", "/admin/v1/licenses/" + id + "/pull-secret", "{\"key\":\"" + key + "\",\"namespace\":\"shop\"}");
    assertThat(s.status()).as(s.raw()).isEqualTo(200);
    JsonNode secret = s.body();
    assertThat(secret.get("kind").asText()).isEqualTo("Secret");
    assertThat(secret.get("type").asText()).isEqualTo("kubernetes.io/dockerconfigjson");
    assertThat(secret.get("metadata").get("namespace").asText()).isEqualTo("shop");
    JsonNode config = ts.json.readTree(Base64.getDecoder().decode(secret.get("data").get(".dockerconfigjson").asText()));
    JsonNode entry = config.get("auths").get("registry.test:5443");
    assertThat(entry.get("username").asText()).isEqualTo(id);
    assertThat(entry.get("password").asText()).isEqualTo(key);
    assertThat(new String(Base64.getDecoder().decode(entry.get("auth").asText()), StandardCharsets.UTF_8)).isEqualTo(id + ":" + key);

    assertBadRequest(ts.admin("POST", "/admin/v1/licenses/" + id + "/pull-secret", "{\"key\":\"tsk_wrong\"}"), "key");
    assertThat(ts.admin("GET", "/admin/v1/licenses/" + id + "/pull-secret", null).status()).isEqualTo(405);
  }

  @Test
  void pullSecret_forARevokedOrExpiredLicense_is409WithTheReason() throws Exception {
    String c = customer();
    JsonNode expired = license(c, "[\"1.0.0\"]");
    String expiredId = expired.get("id").asText();
    assertThat(ts.admin("PATCH", "/admin/v1/licenses/" + expiredId, "{\"expiresAt\":\"2000-01-01T00:00:00Z\"}").status())
        .isEqualTo(200);
    Answer e = ts.admin("POST", "/admin/v1/licenses/" + expiredId + "/pull-secret",
        "{\"key\":\"" + expired.get("key").asText() + "\"}");
    assertThat(e.status()).as(e.raw()).isEqualTo(409);
    assertThat(e.body().get("error").asText()).isEqualTo("license " + expiredId + " is expired: pulls with it are refused");
    assertThat(e.raw()).doesNotContain(expired.get("key").asText());

    JsonNode revoked = license(c, "[\"1.0.0\"]");
    String revokedId = revoked.get("id").asText();
    assertThat(ts.admin("DELETE", "/admin/v1/licenses/" + revokedId, null).status()).isEqualTo(200);
    Answer r = ts.admin("POST", "/admin/v1/licenses/" + revokedId + "/pull-secret",
        "{\"key\":\"" + revoked.get("key").asText() + "\"}");
    assertThat(r.status()).as(r.raw()).isEqualTo(409);
    assertThat(r.body().get("error").asText()).isEqualTo("license " + revokedId + " is revoked: pulls with it are refused");
    assertThat(r.raw()).doesNotContain(revoked.get("key").asText());
    assertBadRequest(ts.admin("POST", "/admin/v1/licenses/" + revokedId + "/pull-secret", "{\"key\":\"tsk_wrong\"}"), "key");
  }

  @Test
  void applications_listVersionsFromTheUpstreamThroughTheBearerDance() throws Exception {
    upstream.stubFor(get(urlPathEqualTo("/v2/org/app/tags/list")).withHeader("Authorization", absent())
        .willReturn(aResponse().withStatus(401).withHeader("WWW-Authenticate",
            "Bearer realm=\"" + upstream.baseUrl() + "/token\",service=\"up\",scope=\"repository:org/app:pull\"")));
    upstream.stubFor(get(urlPathEqualTo("/v2/org/app/tags/list")).withHeader("Authorization", equalTo("Basic dmVuZG9yOnZlbmRvci1zZWNyZXQ="))
        .willReturn(aResponse().withStatus(401).withHeader("WWW-Authenticate",
            "Bearer realm=\"" + upstream.baseUrl() + "/token\",service=\"up\",scope=\"repository:org/app:pull\"")));
    upstream.stubFor(get(urlPathEqualTo("/token")).withQueryParam("scope", equalTo("repository:org/app:pull"))
        .withHeader("Authorization", equalTo("Basic dmVuZG9yOnZlbmRvci1zZWNyZXQ="))
        .willReturn(aResponse().withHeader("Content-Type", "application/json").withBody("{\"token\":\"up-token\"}")));
    upstream.stubFor(get(urlPathEqualTo("/v2/org/app/tags/list")).withHeader("Authorization", equalTo("Bearer up-token"))
        .willReturn(aResponse().withHeader("Content-Type", "application/json")
            .withBody("{\"name\":\"org/app\",\"tags\":[\"1.0.0\",\"1.1.0\",\"2.0.0\"]}")));
    // Once the upstream has asked for Bearer tokens, the next repository's listing goes straight to the realm.
    upstream.stubFor(get(urlPathEqualTo("/token")).withQueryParam("scope", equalTo("repository:vendor/tool:pull"))
        .withHeader("Authorization", equalTo("Basic dmVuZG9yOnZlbmRvci1zZWNyZXQ="))
        .willReturn(aResponse().withHeader("Content-Type", "application/json").withBody("{\"token\":\"tool-token\"}")));
    upstream.stubFor(get(urlPathEqualTo("/v2/vendor/tool/tags/list"))
        .willReturn(aResponse().withHeader("Content-Type", "application/json")
            .withBody("{\"name\":\"vendor/tool\",\"tags\":[\"v3.0\",\"latest\"]}")));

    Answer a = ts.admin("GET", "/admin/v1/applications", null);
    assertThat(a.status()).isEqualTo(200);
    JsonNode apps = a.body().get("applications");
    assertThat(apps.get(0).get("name").asText()).isEqualTo("app");
    assertThat(apps.get(0).get("repositories")).extracting(r -> r.get("name").asText()).containsExactly("vendor/app", "charts/app");
    assertThat(apps.get(0).get("versions")).extracting(JsonNode::asText).containsExactly("2.0.0", "1.1.0", "1.0.0");
    assertThat(apps.get(1).get("versions")).extracting(JsonNode::asText).containsExactly("3.0");
    assertThat(a.raw()).doesNotContain("vendor-secret").doesNotContain("up-token");
  }

  @Test
  void applications_followTheTagListsNextPageLinks_andAnUnknownRepositoryHasNoVersions() throws Exception {
    upstream.stubFor(get(urlPathEqualTo("/v2/org/app/tags/list")).withQueryParam("last", absent())
        .willReturn(aResponse().withHeader("Content-Type", "application/json")
            .withHeader("Link", "</v2/org/app/tags/list?n=1000&last=1.1.0>; rel=\"next\"")
            .withBody("{\"name\":\"org/app\",\"tags\":[\"1.0.0\",\"1.1.0\"]}")));
    upstream.stubFor(get(urlPathEqualTo("/v2/org/app/tags/list")).withQueryParam("last", equalTo("1.1.0"))
        .willReturn(aResponse().withHeader("Content-Type", "application/json")
            .withBody("{\"name\":\"org/app\",\"tags\":[\"2.0.0\"]}")));
    upstream.stubFor(get(urlPathEqualTo("/v2/vendor/tool/tags/list")).willReturn(aResponse().withStatus(404)));

    JsonNode apps = ts.admin("GET", "/admin/v1/applications", null).body().get("applications");

    assertThat(apps.get(0).get("versions")).extracting(JsonNode::asText).containsExactly("2.0.0", "1.1.0", "1.0.0");
    assertThat(apps.get(1).get("versions")).isEmpty();
  }

  @Test
  void applications_reportAnUnreachableUpstreamPerApplication() throws Exception {
    upstream.stubFor(get(urlPathEqualTo("/v2/org/app/tags/list")).willReturn(aResponse().withStatus(503)));
    Answer a = ts.admin("GET", "/admin/v1/applications", null);
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.body().get("applications").get(0).get("versions").isNull()).isTrue();
    assertThat(a.body().get("applications").get(0).get("versionsError").asText()).contains("503");
  }

  // ---- ranges ----

  @Test
  void rangesAndEveryVersion_showTheirKind_andChangeWithTheirOwnCalls() throws Exception {
    String customer = customer();
    Answer created = ts.admin("POST", "/admin/v1/licenses", "{\"customerId\":\"" + customer + "\",\"application\":\"app\","
        + "\"versions\":[\"2.4.0\"],\"ranges\":[\"2.x\",{\"range\":\"~3.1.0\",\"includePrerelease\":true}],"
        + "\"keepReleasedBeforeExpiry\":true}");
    assertThat(created.status()).as(created.raw()).isEqualTo(201);
    JsonNode l = created.body();
    String id = l.get("id").asText();
    assertThat(l.get("versions").toString()).as("exact versions, as before").isEqualTo("[\"2.4.0\"]");
    assertThat(l.get("grants").toString()).isEqualTo("[{\"kind\":\"exact\",\"value\":\"2.4.0\"},"
        + "{\"kind\":\"range\",\"value\":\"2.x\",\"includePrerelease\":false},"
        + "{\"kind\":\"range\",\"value\":\"~3.1.0\",\"includePrerelease\":true}]");
    assertThat(l.get("keepReleasedBeforeExpiry").asBoolean()).isTrue();
    Access a = (Access) ts.server.store().authorize(id, l.get("key").asText());
    assertThat(a.allowsTag("vendor/app", "2.9.1")).isTrue();

    Answer all = ts.admin("POST", "/admin/v1/licenses/" + id + "/ranges", "{\"ranges\":[\"*\", \">= 4.0.0  <5.0.0\"]}");
    assertThat(all.status()).as(all.raw()).isEqualTo(200);
    assertThat(all.body().get("grants")).extracting(g -> g.get("kind").asText() + " " + g.get("value").asText())
        .containsExactly("exact 2.4.0", "all *", "range 2.x", "range >=4.0.0 <5.0.0", "range ~3.1.0");

    assertThat(ts.admin("DELETE", "/admin/v1/licenses/" + id + "/ranges/%3E%3D4.0.0%20%3C5.0.0", null).status())
        .isEqualTo(200);
    assertThat(ts.admin("DELETE", "/admin/v1/licenses/" + id + "/ranges/*", null).status()).isEqualTo(200);
    Answer gone = ts.admin("DELETE", "/admin/v1/licenses/" + id + "/ranges/9.x", null);
    assertThat(gone.status()).isEqualTo(404);
    assertThat(gone.body().get("error").asText()).contains("does not grant range 9.x");

    Answer patched = ts.admin("PATCH", "/admin/v1/licenses/" + id, "{\"keepReleasedBeforeExpiry\":false}");
    assertThat(patched.body().get("keepReleasedBeforeExpiry").asBoolean()).isFalse();
    assertThat(ts.admin("GET", "/admin/v1/licenses/" + id, null).body().get("history"))
        .extracting(e -> e.get("action").asText())
        .contains("license.ranges_granted", "license.range_revoked", "license.keep_released_before_expiry_changed");
  }

  @Test
  void invalidRange_is400NamingTheRangeAndWritesNothing() throws Exception {
    String customer = customer();
    Answer a = ts.admin("POST", "/admin/v1/licenses", "{\"customerId\":\"" + customer + "\",\"application\":\"app\","
        + "\"ranges\":[\"2.x\",\"two point x\"]}");
    assertBadRequest(a, "ranges[1]");
    assertThat(a.body().get("error").asText()).contains("'two point x' is not a version range");
    assertBadRequest(ts.admin("POST", "/admin/v1/licenses", "{\"customerId\":\"" + customer + "\",\"application\":\"app\","
        + "\"ranges\":[{\"range\":\"2.x\",\"prerelease\":true}]}"), "ranges[0].prerelease");
    assertBadRequest(ts.admin("POST", "/admin/v1/licenses", "{\"customerId\":\"" + customer + "\",\"application\":\"app\","
        + "\"ranges\":[{\"includePrerelease\":true}]}"), "ranges[0].range");
    assertBadRequest(ts.admin("POST", "/admin/v1/licenses", "{\"customerId\":\"" + customer + "\",\"application\":\"app\","
        + "\"ranges\":[{\"range\":\"2.x\",\"includePrerelease\":\"yes\"}]}"), "ranges[0].includePrerelease");
    assertBadRequest(ts.admin("POST", "/admin/v1/licenses", "{\"customerId\":\"" + customer + "\",\"application\":\"app\","
        + "\"keepReleasedBeforeExpiry\":\"yes\"}"), "keepReleasedBeforeExpiry");
    assertThat(ts.admin("GET", "/admin/v1/licenses", null).body().get("licenses")).isEmpty();
    String id = license(customer, "[\"1.0.0\"]").get("id").asText();
    assertBadRequest(ts.admin("POST", "/admin/v1/licenses/" + id + "/ranges", "{\"ranges\":[]}"), "ranges");
    assertBadRequest(ts.admin("POST", "/admin/v1/licenses/" + id + "/ranges", "{\"ranges\":[\"^2 ~2\"]}"), "ranges[0]");
    // Numbers the range library has no room for: a 400 naming the field, not a 500.
    for (String big : List.of("2147483648.0.0", ">=9223372036854775807.0.0", "~99999999999999999999")) {
      assertBadRequest(ts.admin("POST", "/admin/v1/licenses/" + id + "/ranges", "{\"ranges\":[\"" + big + "\"]}"),
          "ranges[0]");
      assertBadRequest(ts.admin("POST", "/admin/v1/licenses", "{\"customerId\":\"" + customer
          + "\",\"application\":\"app\",\"ranges\":[\"" + big + "\"]}"), "ranges[0]");
    }
  }

  private static void assertBadRequest(Answer a, String field) {
    assertThat(a.status()).as(a.raw()).isEqualTo(400);
    assertThat(a.body().get("error").asText()).isNotBlank();
    if (field != null) {
      assertThat(a.body().get("field").asText()).as(a.raw()).isEqualTo(field);
      assertThat(a.body().get("error").asText()).startsWith(field + ":");
    }
  }
}
