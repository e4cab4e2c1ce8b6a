package io.turnstile.proxy.token;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jwt.SignedJWT;
import io.turnstile.proxy.testing.TestTurnstile;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
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
import org.junit.jupiter.api.io.TempDir;

/** The token protocol as docker, containerd, containers/image and Helm speak it. */
class TokenEndpointIT {
  @TempDir Path dir;
  private TestTurnstile ts;
  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();
  private String base;
  private String customer;
  private String licenseId;
  private String key;

  record Reply(int status, JsonNode body, HttpResponse<String> raw) {
    String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }
  }

  @BeforeEach
  void start() throws Exception {
    ts = new TestTurnstile(dir, "http://127.0.0.1:9");
    base = ts.registryUrl();
    TestTurnstile.Login login = ts.license("app", "1.0.0");
    customer = login.customer();
    licenseId = login.username();
    key = login.key();
  }

  @AfterEach
  void stop() {
    ts.close();
  }

  private static String basic(String user, String pass) {
    return TestTurnstile.basic(user, pass);
  }

  private Reply get(String path, String authorization) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).GET();
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return reply(http.send(b.build(), HttpResponse.BodyHandlers.ofString()));
  }

  private Reply post(String form) throws Exception {
    HttpRequest r = HttpRequest.newBuilder(URI.create(base + "/token"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(form)).build();
    return reply(http.send(r, HttpResponse.BodyHandlers.ofString()));
  }

  private Reply reply(HttpResponse<String> r) throws Exception {
    JsonNode body = r.body().isEmpty() ? null : json.readTree(r.body());
    return new Reply(r.statusCode(), body, r);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private String token(String query) throws Exception {
    Reply r = get("/token?" + query, basic(licenseId, key));
    assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
    return r.body().get("token").asText();
  }

  private static List<String> access(String token) throws Exception {
    Object access = SignedJWT.parse(token).getJWTClaimsSet().getClaim("access");
    return ((List<?>) access).stream().map(Object::toString).toList();
  }

  // ---- challenge ----

  @Test
  void unauthenticatedBase_getsABearerChallengeWithAnAbsoluteRealm() throws Exception {
    Reply r = get("/v2/", null);
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.header("WWW-Authenticate"))
        .isEqualTo("Bearer realm=\"http://registry.test:5443/token\",service=\"turnstile\"");
    assertThat(r.body().get("errors").get(0).get("code").asText()).isEqualTo("UNAUTHORIZED");
    assertThat(r.header("Docker-Distribution-API-Version")).isEqualTo("registry/2.0");
  }

  @Test
  void unauthenticatedRepositoryRequest_namesTheScope() throws Exception {
    Reply r = get("/v2/charts/app/manifests/1.0.0", null);
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.header("WWW-Authenticate")).endsWith(",scope=\"repository:charts/app:pull\"");
  }

  @Test
  void validToken_onBase_is200() throws Exception {
    Reply r = get("/v2/", "Bearer " + token("service=turnstile"));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("Docker-Distribution-API-Version")).isEqualTo("registry/2.0");
  }

  // ---- GET ----

  @Test
  void get_grantsPullOnLicensedRepositoriesOnly() throws Exception {
    Reply r = get("/token?service=turnstile&scope=repository:vendor/app:pull,push&scope="
        + enc("repository:charts/app:pull repository:vendor/tool:pull registry:catalog:*")
        + "&scope=repository:vendor/app:delete&client_id=helm", basic(licenseId, key));
    assertThat(r.status()).isEqualTo(200);
    JsonNode b = r.body();
    assertThat(b.get("access_token").asText()).isEqualTo(b.get("token").asText());
    assertThat(b.get("expires_in").asInt()).isGreaterThanOrEqualTo(60);
    assertThat(Instant.parse(b.get("issued_at").asText())).isBeforeOrEqualTo(Instant.now());
    assertThat(b.get("scope").asText()).isEqualTo("registry:catalog:* repository:charts/app:pull repository:vendor/app:pull");
    assertThat(access(b.get("token").asText())).containsExactly(
        "{type=registry, name=catalog, actions=[*]}",
        "{type=repository, name=charts/app, actions=[pull]}",
        "{type=repository, name=vendor/app, actions=[pull]}");
    assertThat(b.has("refresh_token")).isFalse();
  }

  @Test
  void repeatedRequestsForTheSameGrant_reuseARecentToken_untilTheKeyChanges() throws Exception {
    Reply first = get("/token?scope=repository:vendor/app:pull", basic(licenseId, key));
    Reply second = get("/token?scope=repository:vendor/app:pull", basic(licenseId, key));
    assertThat(second.body().get("token").asText()).isEqualTo(first.body().get("token").asText());
    assertThat(second.body().get("expires_in").asInt()).isGreaterThanOrEqualTo(60);
    assertThat(second.body().get("issued_at").asText()).isEqualTo(first.body().get("issued_at").asText());
    Reply otherScope = get("/token?scope=repository:charts/app:pull", basic(licenseId, key));
    assertThat(otherScope.body().get("token").asText()).isNotEqualTo(first.body().get("token").asText());
    String fresh = ts.admin("POST", "/admin/v1/licenses/" + licenseId + "/key", null).body().get("key").asText();
    Reply afterRotation = get("/token?scope=repository:vendor/app:pull", basic(licenseId, fresh));
    assertThat(afterRotation.body().get("token").asText()).isNotEqualTo(first.body().get("token").asText());
    assertThat(get("/v2/vendor/app/tags/list", "Bearer " + first.body().get("token").asText()).status())
        .as("the old key's token is dead").isEqualTo(401);
  }

  @Test
  void get_urlEncodedScope_parses() throws Exception {
    assertThat(access(token("scope=repository%3Avendor%2Fapp%3Apull"))).containsExactly(
        "{type=repository, name=vendor/app, actions=[pull]}");
  }

  @Test
  void dockerLogin_noScopeOffline_getsEmptyAccessAndARefreshToken() throws Exception {
    Reply r = get("/token?account=" + licenseId + "&client_id=docker&offline_token=true&service=turnstile",
        basic(licenseId, key));
    assertThat(r.status()).isEqualTo(200);
    assertThat(access(r.body().get("token").asText())).isEmpty();
    assertThat(r.body().get("refresh_token").asText()).isNotBlank();
  }

  @Test
  void get_accountOfSomeoneElse_isRejected() throws Exception {
    assertThat(get("/token?account=lic_other", basic(licenseId, key)).status()).isEqualTo(400);
  }

  @Test
  void get_unknownService_isRejected() throws Exception {
    assertThat(get("/token?service=other", basic(licenseId, key)).status()).isEqualTo(400);
  }

  @Test
  void emptyScope_isValidAndGrantsNothing() throws Exception {
    assertThat(access(token("scope="))).isEmpty();
  }

  // ---- POST ----

  @Test
  void post_passwordGrant_likeContainerd() throws Exception {
    Reply r = post("grant_type=password&username=" + licenseId + "&password=" + enc(key)
        + "&service=turnstile&client_id=containerd-client&scope=" + enc("repository:vendor/app:pull repository:vendor/tool:pull"));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body().get("access_token").asText()).isNotBlank();
    assertThat(r.body().get("scope").asText()).isEqualTo("repository:vendor/app:pull");
  }

  @Test
  void post_refreshGrant_likeDockerWithAnIdentityToken() throws Exception {
    String refresh = get("/token?offline_token=true&client_id=docker", basic(licenseId, key)).body().get("refresh_token").asText();
    Reply r = post("grant_type=refresh_token&refresh_token=" + enc(refresh) + "&service=turnstile&client_id=docker&scope="
        + enc("repository:vendor/app:pull"));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body().get("scope").asText()).isEqualTo("repository:vendor/app:pull");
    assertThat(get("/v2/", "Bearer " + r.body().get("access_token").asText()).status()).isEqualTo(200);
  }

  @Test
  void refreshToken_diesWithKeyRotationAndRevocation() throws Exception {
    String refresh = get("/token?offline_token=true", basic(licenseId, key)).body().get("refresh_token").asText();
    ts.admin("POST", "/admin/v1/licenses/" + licenseId + "/key", null);
    assertThat(post("grant_type=refresh_token&refresh_token=" + enc(refresh)).status()).isEqualTo(401);
  }

  @Test
  void badGrants_are4xx() throws Exception {
    assertThat(post("grant_type=client_credentials").status()).isEqualTo(400);
    assertThat(post("grant_type=client_credentials").body().get("error").asText()).isEqualTo("unsupported_grant_type");
    assertThat(post("username=x&password=y").status()).isEqualTo(400);
    assertThat(post("grant_type=password&username=" + licenseId).status()).isEqualTo(400);
    assertThat(post("grant_type=refresh_token&refresh_token=garbage").status()).isEqualTo(401);
  }

  // ---- bad credentials and bad input ----

  @Test
  void badCredentials_are401NeverOther() throws Exception {
    assertThat(get("/token?scope=repository:vendor/app:pull", basic(licenseId, key + "x")).status()).isEqualTo(401);
    assertThat(get("/token", basic("lic_nobody", key)).status()).isEqualTo(401);
    assertThat(get("/token", null).status()).isEqualTo(401);
    assertThat(get("/token", "Basic !!!notbase64").status()).isEqualTo(401);
    assertThat(get("/token", "Basic " + Base64.getEncoder().encodeToString("no-colon".getBytes(StandardCharsets.UTF_8))).status())
        .isEqualTo(401);
    Reply nonUtf8 = get("/token", "Basic " + Base64.getEncoder().encodeToString(new byte[] {(byte) 0xff, (byte) 0xfe, ':', 'x'}));
    assertThat(nonUtf8.status()).isEqualTo(401);
    assertThat(nonUtf8.body().get("error_description").asText()).contains("UTF-8");
    assertThat(post("grant_type=password&username=" + licenseId + "&password=wrong").status()).isEqualTo(401);
  }

  @Test
  void tenThousandScopes_areRefused() throws Exception {
    StringBuilder scopes = new StringBuilder();
    for (int i = 0; i < 10_000; i++) {
      scopes.append(i == 0 ? "" : " ").append("repository:r").append(i).append(":pull");
    }
    Reply r = post("grant_type=password&username=" + licenseId + "&password=" + enc(key) + "&scope=" + enc(scopes.toString()));
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.body().get("errors").get(0).get("message").asText()).isEqualTo("token request body too large");
    String fewer = String.join(" ", java.util.Collections.nCopies(101, "repository:vendor/app:pull"));
    Reply tooMany = post("grant_type=password&username=" + licenseId + "&password=" + enc(key) + "&scope=" + enc(fewer));
    assertThat(tooMany.status()).isEqualTo(400);
    assertThat(tooMany.body().get("error_description").asText()).contains("too many scopes");
    assertThat(get("/v2/", "Bearer " + token("scope=repository:vendor/app:pull")).status()).as("server still healthy").isEqualTo(200);
  }

  @Test
  void oneMegabyteQuery_isRefused() throws Exception {
    Reply r = get("/token?scope=" + "a".repeat(1 << 20), basic(licenseId, key));
    assertThat(r.status()).isEqualTo(414);
    assertThat(get("/v2/", null).status()).as("server still healthy").isEqualTo(401);
  }

  // ---- tokens on /v2/ ----

  @Test
  void tokenForRepositoryA_onRepositoryB_isInsufficientScope() throws Exception {
    Reply r = get("/v2/charts/app/tags/list", "Bearer " + token("scope=repository:vendor/app:pull"));
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.header("WWW-Authenticate")).contains("scope=\"repository:charts/app:pull\"", "error=\"insufficient_scope\"");
  }

  @Test
  void tamperedOrForeignToken_isInvalidToken() throws Exception {
    String t = token("scope=repository:vendor/app:pull");
    Reply r = get("/v2/vendor/app/tags/list", "Bearer " + t.substring(0, t.length() - 4) + "AAAA");
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.header("WWW-Authenticate")).contains("error=\"invalid_token\"");
    assertThat(get("/v2/", "Bearer not-a-jwt").header("WWW-Authenticate")).contains("error=\"invalid_token\"");
  }

  @Test
  void tokenStopsWorkingTheMomentTheLicenseIsRevoked() throws Exception {
    String t = token("scope=repository:vendor/app:pull");
    assertThat(get("/v2/", "Bearer " + t).status()).isEqualTo(200);
    ts.admin("DELETE", "/admin/v1/licenses/" + licenseId, null);
    Reply r = get("/v2/", "Bearer " + t);
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.body().get("errors").get(0).get("message").asText()).isEqualTo("the license has been revoked");
    assertThat(get("/token", basic(licenseId, key)).body().get("error_description").asText())
        .isEqualTo("the license has been revoked");
  }

  @Test
  void tokenStopsWorkingTheMomentTheLicenseExpires() throws Exception {
    String t = token("scope=repository:vendor/app:pull");
    ts.admin("PATCH", "/admin/v1/licenses/" + licenseId, "{\"expiresAt\":\"2001-01-01T00:00:00Z\"}");
    assertThat(get("/v2/", "Bearer " + t).body().get("errors").get(0).get("message").asText())
        .isEqualTo("the license has expired");
  }

  @Test
  void customerKey_coversEveryLicensedApplication() throws Exception {
    ts.admin("POST", "/admin/v1/licenses", "{\"customerId\":\"" + customer + "\",\"application\":\"tool\",\"versions\":[\"3\"]}");
    JsonNode ck = ts.admin("POST", "/admin/v1/customers/" + customer + "/keys", null).body();
    Reply r = get("/token?scope=repository:vendor/app:pull&scope=repository:vendor/tool:pull",
        basic(ck.get("username").asText(), ck.get("key").asText()));
    assertThat(r.body().get("scope").asText()).isEqualTo("repository:vendor/app:pull repository:vendor/tool:pull");
  }

  @Test
  void basicCredentialsOnV2_areAcceptedDirectly() throws Exception {
    assertThat(get("/v2/", basic(licenseId, key)).status()).isEqualTo(200);
    assertThat(get("/v2/", basic(licenseId, "wrong")).status()).isEqualTo(401);
  }

  @Test
  void writes_areNeverForwarded() throws Exception {
    HttpRequest put = HttpRequest.newBuilder(URI.create(base + "/v2/vendor/app/manifests/1.0.0"))
        .PUT(HttpRequest.BodyPublishers.ofString("{}")).build();
    Reply anonymous = reply(http.send(put, HttpResponse.BodyHandlers.ofString()));
    assertThat(anonymous.status()).isEqualTo(401);
    assertThat(anonymous.body().get("errors").get(0).get("code").asText()).isEqualTo("DENIED");
    HttpRequest authed = HttpRequest.newBuilder(URI.create(base + "/v2/vendor/app/blobs/uploads/"))
        .header("Authorization", basic(licenseId, key)).POST(HttpRequest.BodyPublishers.noBody()).build();
    Reply licensed = reply(http.send(authed, HttpResponse.BodyHandlers.ofString()));
    assertThat(licensed.status()).isEqualTo(405);
    assertThat(licensed.body().get("errors").get(0).get("code").asText()).isEqualTo("UNSUPPORTED");
  }

  @Test
  void jwks_publishesThePublicKeysOnly() throws Exception {
    Reply r = get("/.well-known/jwks.json", null);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body().get("keys").get(0).get("kty").asText()).isEqualTo("EC");
    assertThat(r.body().get("keys").get(0).has("d")).isFalse();
  }

  @Test
  void secretsNeverReachTheLog() throws Exception {
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    String token;
    String refresh;
    try {
      System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
      token = token("scope=repository:vendor/app:pull&offline_token=true");
      refresh = get("/token?offline_token=true", basic(licenseId, key)).body().get("refresh_token").asText();
      get("/token", basic(licenseId, key + "wrong"));
      get("/v2/", "Bearer " + token.substring(0, 40));
      post("grant_type=password&username=" + licenseId + "&password=" + enc(key));
      post("grant_type=refresh_token&refresh_token=" + enc(refresh));
      get("/v2/vendor/app/manifests/1.0.0", "Bearer " + token);
      ts.admin("POST", "/admin/v1/licenses/" + licenseId + "/key", null);
    } finally {
      System.setErr(original);
    }
    String log = captured.toString(StandardCharsets.UTF_8);
    assertThat(log).doesNotContain(key).doesNotContain(token).doesNotContain(refresh)
        .doesNotContain(token.substring(0, 40)).doesNotContain("vendor-secret");
  }
}
