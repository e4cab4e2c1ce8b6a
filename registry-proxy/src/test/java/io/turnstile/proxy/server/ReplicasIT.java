package io.turnstile.proxy.server;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static io.turnstile.store.testing.Eventually.committedAt;
import static io.turnstile.store.testing.Eventually.until;
import static io.turnstile.store.testing.Eventually.within;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.core.Options;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.turnstile.proxy.licensing.LicenseCheck;
import io.turnstile.proxy.licensing.LicenseVerifier;
import io.turnstile.proxy.testing.FakeRegistry;
import io.turnstile.proxy.testing.TestTurnstile;
import io.turnstile.store.testing.PostgresServer;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two Turnstile servers on one PostgreSQL database, as two replicas behind a load balancer: an
 * edit made through A is enforced by B on the next request, within one second, whatever B's
 * caller holds (Basic credentials, a Bearer token, a refresh token); tokens of A work on B; and a
 * database outage stops edits, not pulls.
 */
class ReplicasIT {
  @RegisterExtension
  static WireMockExtension upstream = WireMockExtension.newInstance()
      .options(wireMockConfig().dynamicPort().useChunkedTransferEncoding(Options.ChunkedEncodingPolicy.ALWAYS))
      .build();

  @RegisterExtension static final PostgresServer postgres = new PostgresServer();
  @TempDir Path dir;
  private TestTurnstile a;
  private TestTurnstile b;
  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();

  @BeforeEach
  void start() throws Exception {
    FakeRegistry registry = new FakeRegistry(upstream);
    registry.image("org/app", "1.0.0", 1, 100);
    registry.image("org/app", "2.0.0", 1, 100);
    String db = postgres.newDatabase();
    a = TestTurnstile.replica(dir, upstream.baseUrl(), db, "2s");
    b = TestTurnstile.replica(dir, upstream.baseUrl(), db, "2s");
  }

  @AfterEach
  void stop() {
    a.close();
    b.close();
  }

  private int status(TestTurnstile on, String path, String authorization) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(on.registryUrl() + path))
        .header("Authorization", authorization).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private int manifest(TestTurnstile on, String tag, String authorization) throws Exception {
    return status(on, "/v2/vendor/app/manifests/" + tag, authorization);
  }

  private JsonNode token(TestTurnstile on, String query, String authorization) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(on.registryUrl() + "/token?" + query))
        .header("Authorization", authorization).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return json.readTree(r.body());
  }

  private int refresh(TestTurnstile on, String refreshToken) throws Exception {
    String form = "grant_type=refresh_token&service=turnstile&scope=repository:vendor/app:pull&refresh_token="
        + URLEncoder.encode(refreshToken, StandardCharsets.UTF_8);
    return http.send(HttpRequest.newBuilder(URI.create(on.registryUrl() + "/token"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  /** The promise: every edit through one replica is enforced by the others within a second. */
  private static final Duration ONE_SECOND = Duration.ofSeconds(1);

  /**
   * When {@code on} committed its latest write: what "an edit through A is enforced by B within a
   * second" counts from. Read just after the write's answer.
   */
  private static Instant committed(TestTurnstile on) {
    return committedAt(on.server.store());
  }

  @Test
  void anEntitlementFieldDefinedThroughA_isListedAndTakesValuesOnBWithinOneSecond() throws Exception {
    String fields = "/admin/v1/applications/app/entitlements";
    assertThat(b.admin("GET", fields, null).status()).isEqualTo(200);
    assertThat(a.admin("PUT", fields + "/nodes", "{\"type\":\"integer\",\"default\":2}").status()).isEqualTo(201);
    within(ONE_SECOND, committed(a), "B lists the field defined through A",
        () -> b.admin("GET", fields, null).body().get("entitlements").findValuesAsText("name").contains("nodes"));
    String customer = b.admin("POST", "/admin/v1/customers", "{\"name\":\"Acme\"}").body().get("id").asText();
    TestTurnstile.Answer license = b.admin("POST", "/admin/v1/licenses", "{\"customerId\":\"" + customer
        + "\",\"application\":\"app\",\"versions\":[\"1.0.0\"],\"entitlements\":{\"nodes\":6}}");
    assertThat(license.status()).as(license.raw()).isEqualTo(201);
    assertThat(license.body().get("entitlements").get("nodes").asLong()).isEqualTo(6);
  }

  @Test
  void anApiTokenMadeOnOneReplicaWorksOnTheOther_andOnceRevokedIsRefusedThereWithinOneSecond() throws Exception {
    TestTurnstile.Answer made = a.admin("POST", "/admin/v1/api-tokens",
        "{\"name\":\"deploy\",\"role\":\"viewer\",\"expiresAt\":\"2099-01-01\"}");
    assertThat(made.status()).as(made.raw()).isEqualTo(201);
    String secret = made.body().get("token").asText();
    until("b accepts the token", () -> b.admin("GET", "/admin/v1/customers", null, secret).status() == 200);
    assertThat(a.admin("DELETE", "/admin/v1/api-tokens/" + made.body().get("id").asText(), null).status())
        .isEqualTo(200);
    Instant revokedAt = committedAt(a.server.store());
    within(Duration.ofSeconds(1), revokedAt, "b refuses the revoked token",
        () -> b.admin("GET", "/admin/v1/customers", null, secret).status() == 401);
  }

  @Test
  void everyEditThroughAIsEnforcedByBWithinOneSecond_forBasicBearerAndRefreshTokens() throws Exception {
    // Each probe's own time counts as delay: B's first answers, which warm it up, come before the edit.
    assertThat(status(b, "/v2/", TestTurnstile.basic("lic_none", "tsk_none"))).isEqualTo(401);
    TestTurnstile.Login login = a.license("app", "1.0.0", "2.0.0");
    String basic = login.basic();
    within(ONE_SECOND, committed(a), "B takes the license created through A", () -> status(b, "/v2/", basic) == 200);
    until("B serves a version the license grants", () -> manifest(b, "2.0.0", basic) == 200);

    // Tokens issued by A work on B: the signing key is shared.
    JsonNode issued = token(a, "service=turnstile&scope=repository:vendor/app:pull&offline_token=true", basic);
    String bearer = "Bearer " + issued.get("token").asText();
    String refreshToken = issued.get("refresh_token").asText();
    assertThat(manifest(b, "2.0.0", bearer)).isEqualTo(200);
    assertThat(refresh(b, refreshToken)).isEqualTo(200);

    // Revoke a version through A.
    a.admin("DELETE", "/admin/v1/licenses/" + login.username() + "/versions/2.0.0", null);
    within(ONE_SECOND, committed(a), "B refuses the version revoked through A",
        () -> manifest(b, "2.0.0", basic) == 403 && manifest(b, "2.0.0", bearer) == 403);
    assertThat(manifest(b, "1.0.0", bearer)).isEqualTo(200);

    // A customer key made through A works on B, until it is revoked through A.
    JsonNode ck = a.admin("POST", "/admin/v1/customers/" + login.customer() + "/keys", null).body();
    String customerBasic = TestTurnstile.basic(ck.get("username").asText(), ck.get("key").asText());
    within(ONE_SECOND, committed(a), "B takes the customer key made through A",
        () -> manifest(b, "1.0.0", customerBasic) == 200);
    a.admin("DELETE", "/admin/v1/customers/" + login.customer() + "/keys/" + ck.get("keyId").asText(), null);
    within(ONE_SECOND, committed(a), "B refuses the customer key revoked through A",
        () -> manifest(b, "1.0.0", customerBasic) == 401);

    // Rotate the license key through A: the old key, its token and its refresh token die on B.
    String fresh = a.admin("POST", "/admin/v1/licenses/" + login.username() + "/key", null).body().get("key").asText();
    within(ONE_SECOND, committed(a), "B refuses the key rotated through A, its token and its refresh token",
        () -> manifest(b, "1.0.0", basic) == 401 && manifest(b, "1.0.0", bearer) == 401
            && refresh(b, refreshToken) == 401);
    String freshBasic = TestTurnstile.basic(login.username(), fresh);
    assertThat(manifest(b, "1.0.0", freshBasic)).isEqualTo(200);

    // Expire the license through A.
    a.admin("PATCH", "/admin/v1/licenses/" + login.username(), "{\"expiresAt\":\"2001-01-01T00:00:00Z\"}");
    within(ONE_SECOND, committed(a), "B refuses the license expired through A",
        () -> manifest(b, "1.0.0", freshBasic) == 401);
  }

  @Test
  void signingKeysKeptInTheStore_areSharedAndRotateWithNoTokenRefused() throws Exception {
    restartWithKeysInTheStore();
    TestTurnstile.Login login = a.license("app", "1.0.0");
    String basic = login.basic();
    JsonNode keys = a.admin("GET", "/admin/v1/signing-keys", null).body().get("keys");
    assertThat(keys).as("generated once, by the first to start").hasSize(1);
    String oldKid = keys.get(0).get("kid").asText();
    assertThat(keys.get(0).toString()).doesNotContain("PRIVATE");

    String old = "Bearer " + token(a, "service=turnstile&scope=repository:vendor/app:pull", basic).get("token").asText();
    until("B takes a token of A", () -> manifest(b, "1.0.0", old) == 200);

    // Rotate through A: add (verifies only), activate (signs), retire the old one.
    TestTurnstile.Answer added = a.admin("POST", "/admin/v1/signing-keys", null);
    assertThat(added.status()).isEqualTo(201);
    assertThat(added.body().get("state").asText()).isEqualTo("verify");
    String newKid = added.body().get("kid").asText();
    assertThat(a.admin("POST", "/admin/v1/signing-keys/" + newKid + "/activate", null).body().get("state").asText())
        .isEqualTo("active");
    within(ONE_SECOND, committed(a), "B signs with the key activated through A", () -> jwksKids(b).contains(newKid)
        && tokenKid(token(b, "service=turnstile&scope=repository:charts/app:pull", basic).get("token").asText())
            .equals(newKid));
    assertThat(manifest(b, "1.0.0", old)).as("a token of the old key still verifies").isEqualTo(200);
    String fresh = "Bearer " + token(b, "service=turnstile&scope=repository:vendor/app:pull", basic).get("token").asText();
    assertThat(manifest(a, "1.0.0", fresh)).isEqualTo(200);

    assertThat(a.admin("DELETE", "/admin/v1/signing-keys/" + newKid, null).status())
        .as("the signing key cannot be retired").isEqualTo(409);
    assertThat(a.admin("DELETE", "/admin/v1/signing-keys/" + oldKid, null).body().get("state").asText())
        .isEqualTo("retired");
    within(ONE_SECOND, committed(a), "B refuses a token of the key retired through A",
        () -> manifest(b, "1.0.0", old) == 401);
    assertThat(manifest(b, "1.0.0", fresh)).isEqualTo(200);
    assertThat(jwksKids(b)).containsExactly(newKid);
  }

  @Test
  void licenseKeysKeptInTheStore_areShared_andARotationThroughAIsFollowedByBWithinOneSecond() throws Exception {
    restartWithKeysInTheStore();
    List<String> first = jwksKids(a, LicenseCheck.KEYS_PATH);
    assertThat(first).as("generated once, by the first to start").hasSize(1);
    assertThat(jwksKids(b, LicenseCheck.KEYS_PATH)).isEqualTo(first);
    String oldKid = first.get(0);
    String license = a.license("app", "1.0.0").username();
    String oldFile = b.admin("GET", "/admin/v1/licenses/" + license + "/file", null).raw();
    assertThat(tokenKid(oldFile)).isEqualTo(oldKid);

    String newKid = a.admin("POST", "/admin/v1/license-keys", null).body().get("kid").asText();
    within(ONE_SECOND, committed(a), "B publishes the key added through A",
        () -> jwksKids(b, LicenseCheck.KEYS_PATH).equals(List.of(oldKid, newKid)));
    assertThat(a.admin("POST", "/admin/v1/license-keys/" + newKid + "/activate", null).status()).isEqualTo(200);
    within(ONE_SECOND, committed(a), "B signs files with the key activated through A",
        () -> tokenKid(b.admin("GET", "/admin/v1/licenses/" + license + "/file", null).raw()).equals(newKid));
    assertThat(jwksKids(b, LicenseCheck.KEYS_PATH)).containsExactly(newKid, oldKid);
    assertThat(LicenseVerifier.files(licenseKeys(b)).verify(oldFile).getSubject())
        .as("a file of the old key still verifies against B's keys").isEqualTo(license);

    assertThat(b.admin("DELETE", "/admin/v1/license-keys/" + oldKid, null).status()).isEqualTo(200);
    within(ONE_SECOND, committed(b), "A no longer publishes the key retired through B",
        () -> jwksKids(a, LicenseCheck.KEYS_PATH).equals(List.of(newKid)));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> LicenseVerifier.files(licenseKeys(a)).verify(oldFile))
        .isInstanceOf(LicenseVerifier.InvalidLicenseFileException.class);
    String newFile = a.admin("GET", "/admin/v1/licenses/" + license + "/file", null).raw();
    assertThat(LicenseVerifier.files(licenseKeys(b)).verify(newFile).getSubject()).isEqualTo(license);
    assertThat(jwksKids(a)).as("the token keys are another set").doesNotContain(newKid, oldKid);
  }

  /** A and B again, on a new database, with token and license-signing keys kept in the store. */
  private void restartWithKeysInTheStore() throws Exception {
    a.close();
    b.close();
    String db = postgres.newDatabase();
    a = TestTurnstile.replica(dir, upstream.baseUrl(), db, "2s", true);
    b = TestTurnstile.replica(dir, upstream.baseUrl(), db, "2s", true);
  }

  private com.nimbusds.jose.jwk.JWKSet licenseKeys(TestTurnstile on) throws Exception {
    return com.nimbusds.jose.jwk.JWKSet.parse(http.send(HttpRequest.newBuilder(URI.create(on.registryUrl()
        + LicenseCheck.KEYS_PATH)).build(), HttpResponse.BodyHandlers.ofString()).body());
  }

  private java.util.List<String> jwksKids(TestTurnstile on) throws Exception {
    return jwksKids(on, "/.well-known/jwks.json");
  }

  private java.util.List<String> jwksKids(TestTurnstile on, String path) throws Exception {
    JsonNode doc = json.readTree(http.send(HttpRequest.newBuilder(URI.create(on.registryUrl() + path))
        .build(), HttpResponse.BodyHandlers.ofString()).body());
    java.util.List<String> kids = new java.util.ArrayList<>();
    doc.get("keys").forEach(k -> kids.add(k.get("kid").asText()));
    return kids;
  }

  private String tokenKid(String token) throws Exception {
    String header = new String(java.util.Base64.getUrlDecoder().decode(token.substring(0, token.indexOf('.'))),
        StandardCharsets.UTF_8);
    return json.readTree(header).get("kid").asText();
  }

  @Test
  void whileTheDatabaseIsDown_pullsGoOn_writesAre503WithinTwoSeconds_theConsoleAndMetricsSaySo_andBothCatchUpAfter()
      throws Exception {
    TestTurnstile.Login login = a.license("app", "1.0.0", "2.0.0");
    until("B grants the license created through A", () -> manifest(b, "2.0.0", login.basic()) == 200);
    io.turnstile.proxy.testing.Browser console = new io.turnstile.proxy.testing.Browser(a.adminUrl());
    console.get("/console/sign-in");
    assertThat(console.post("/console/sign-in", java.util.Map.of("token", TestTurnstile.ADMIN_TOKEN)).statusCode())
        .isEqualTo(303);
    assertThat(console.get("/console/licenses").body()).doesNotContain("store-outage");
    postgres.stop();
    try {
      String revoke = "/admin/v1/licenses/" + login.username() + "/versions/2.0.0";
      // The first write right after the stop, and the ones after it, each answered within 2 s;
      // with an Idempotency-Key too, which is looked up first.
      for (int i = 0; i < 4; i++) {
        long sent = System.nanoTime();
        TestTurnstile.Answer refused = i % 2 == 0 ? a.admin("DELETE", revoke, null)
            : a.adminWithKey("DELETE", revoke, null, "outage-" + i);
        Duration took = Duration.ofNanos(System.nanoTime() - sent);
        assertThat(refused.status()).as(refused.raw()).isEqualTo(503);
        assertThat(refused.body().get("code").asText()).isEqualTo("STORE_UNAVAILABLE");
        assertThat(refused.body().get("error").asText()).contains("license store's database", "nothing was written");
        assertThat(took).as("write " + i + " refused after " + took.toMillis() + " ms").isLessThan(Duration.ofSeconds(2));
      }
      // A read that goes to the database (the customer list) says why it cannot answer, as writes do.
      TestTurnstile.Answer read = a.admin("GET", "/admin/v1/customers", null);
      assertThat(read.status()).as(read.raw()).isEqualTo(503);
      assertThat(read.body().get("code").asText()).isEqualTo("STORE_UNAVAILABLE");
      assertThat(read.body().get("error").asText()).contains("license store's database is unreachable");
      assertThat(manifest(a, "2.0.0", login.basic())).isEqualTo(200);
      assertThat(manifest(b, "1.0.0", login.basic())).isEqualTo(200);
      assertThat(manifest(b, "2.0.0", login.basic())).as("nothing half-written").isEqualTo(200);
      assertThat(http.send(HttpRequest.newBuilder(URI.create(a.adminUrl() + "/readyz")).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode()).as("pulls are served: ready").isEqualTo(200);
      until("A's metrics say the store is unreachable", () -> metrics(a).contains("\nturnstile_store_reachable 0.0"));
      assertThat(metrics(a)).contains("\nturnstile_store_snapshot_age_seconds ");
      String page = console.get("/console/licenses").body();
      assertThat(page).contains("id=\"store-outage\"", "unreachable since", "edits are refused");
    } finally {
      postgres.start();
    }
    until("a write through A, once the database is back",
        () -> a.admin("DELETE", "/admin/v1/licenses/" + login.username() + "/versions/2.0.0", null).status() == 200);
    within(ONE_SECOND, committed(a), "B refuses the version revoked after the outage",
        () -> manifest(b, "2.0.0", login.basic()) == 403);
    assertThat(console.get("/console/licenses").body()).doesNotContain("store-outage");
  }

  @Test
  void aWriteSentToBothReplicasWithOneIdempotencyKey_isAppliedOnce() throws Exception {
    TestTurnstile.Login login = a.license("app", "1.0.0");
    String rotate = "/admin/v1/licenses/" + login.username() + "/key";
    // A rotation sent to both at once, as a client retrying on another replica behind the balancer
    // does: rotated once. Its new key is never kept, so the answer that is not the first says so.
    java.util.concurrent.ExecutorService two = java.util.concurrent.Executors.newFixedThreadPool(2);
    java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
    List<TestTurnstile.Answer> answers;
    try {
      var onA = two.submit(() -> {
        go.await();
        return a.adminWithKey("POST", rotate, null, "rotate-once");
      });
      var onB = two.submit(() -> {
        go.await();
        return b.adminWithKey("POST", rotate, null, "rotate-once");
      });
      go.countDown();
      answers = List.of(onA.get(), onB.get());
    } finally {
      two.shutdownNow();
    }
    assertThat(answers).extracting(TestTurnstile.Answer::status).as(answers.toString()).containsExactlyInAnyOrder(201, 409);
    TestTurnstile.Answer issued = answers.stream().filter(x -> x.status() == 201).findFirst().orElseThrow();
    TestTurnstile.Answer retried = answers.stream().filter(x -> x.status() == 409).findFirst().orElseThrow();
    String newKey = issued.body().get("key").asText();
    assertThat(retried.body().get("code").asText()).isEqualTo("KEY_ALREADY_ISSUED");
    assertThat(retried.raw()).doesNotContain(newKey);
    assertThat(history(b, login.username())).filteredOn("license.key_rotated"::equals).hasSize(1);
    until("B takes the rotated key", () -> status(b, "/v2/", TestTurnstile.basic(login.username(), newKey)) == 200);
    assertThat(status(b, "/v2/", login.basic())).as("the key before the rotation").isEqualTo(401);

    // An edit retried on the other replica is answered as the first time; the key on another body is 422.
    String grant = "/admin/v1/licenses/" + login.username() + "/versions";
    TestTurnstile.Answer first = a.adminWithKey("POST", grant, "{\"versions\":[\"2.0.0\"]}", "grant-once");
    assertThat(first.status()).as(first.raw()).isEqualTo(200);
    TestTurnstile.Answer again = b.adminWithKey("POST", grant, "{\"versions\":[\"2.0.0\"]}", "grant-once");
    assertThat(again.status()).isEqualTo(200);
    assertThat(again.body()).isEqualTo(first.body());
    TestTurnstile.Answer reused = b.adminWithKey("POST", grant, "{\"versions\":[\"3.0.0\"]}", "grant-once");
    assertThat(reused.status()).as(reused.raw()).isEqualTo(422);
    assertThat(reused.body().get("code").asText()).isEqualTo("IDEMPOTENCY_KEY_REUSED");
    assertThat(history(b, login.username())).filteredOn("license.versions_granted"::equals).hasSize(1);
  }

  private List<String> history(TestTurnstile on, String license) throws Exception {
    TestTurnstile.Answer r = on.admin("GET", "/admin/v1/licenses/" + license, null);
    assertThat(r.status()).as(r.raw()).isEqualTo(200);
    return r.body().path("history").findValuesAsText("action");
  }

  private String metrics(TestTurnstile on) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(on.adminUrl() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }
}
