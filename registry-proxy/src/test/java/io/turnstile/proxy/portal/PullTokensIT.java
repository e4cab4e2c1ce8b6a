package io.turnstile.proxy.portal;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static io.turnstile.store.testing.Eventually.until;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.core.Options;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.turnstile.proxy.testing.Browser;
import io.turnstile.proxy.testing.FakeRegistry;
import io.turnstile.proxy.testing.TestTurnstile;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pull tokens on a real Turnstile: made, rotated and revoked through the portal's forms, used
 * through the registry's token flow as docker uses it, named in the pull log.
 */
class PullTokensIT {
  @RegisterExtension
  static WireMockExtension upstream = WireMockExtension.newInstance()
      .options(wireMockConfig().dynamicPort().useChunkedTransferEncoding(Options.ChunkedEncodingPolicy.ALWAYS))
      .build();

  private static final Pattern SECRET = Pattern.compile("<pre id=\"issued-secret\">(tpt_[A-Za-z0-9_-]+)</pre>");
  private static final Pattern TOKEN_ID = Pattern.compile("name=\"token\" value=\"(ptk_[0-9a-f]+)\"");

  @TempDir Path dir;
  private TestTurnstile ts;
  private Browser browser;
  private TestTurnstile.Login login;
  private TestTurnstile.Login other;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    FakeRegistry registry = new FakeRegistry(upstream);
    registry.image("org/app", "1.0.0", 1, 300);
    registry.image("org/app", "2.0.0", 1, 300);
    ts = new TestTurnstile(dir, upstream.baseUrl());
    login = ts.license("app", "1.0.0");
    other = ts.license("app", "2.0.0");
    browser = new Browser(ts.registryUrl());
  }

  @AfterEach
  void stop() {
    ts.close();
  }

  private void signIn(String username, String key) throws Exception {
    browser.get("/portal/sign-in");
    assertThat(browser.post("/portal/sign-in", Map.of("username", username, "key", key)).statusCode()).isEqualTo(303);
  }

  /** Submits the create form and returns the secret the next page shows once. */
  private String create(String name, String expires) throws Exception {
    browser.get("/portal/");
    HttpResponse<String> r = browser.post("/portal/tokens", Map.of("license", login.username(), "name", name,
        "expires", expires));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(303);
    return secretOn(browser.get("/portal/").body());
  }

  private static String secretOn(String page) {
    Matcher m = SECRET.matcher(page);
    assertThat(m.find()).as("the page shows the new token once").isTrue();
    return m.group(1);
  }

  private static String tokenIdOn(String page) {
    Matcher m = TOKEN_ID.matcher(page);
    assertThat(m.find()).as("the page lists the token").isTrue();
    return m.group(1);
  }

  /** The registry's token endpoint, as docker asks it after a 401 from /v2/. */
  private HttpResponse<String> token(String user, String secret, String repository) throws Exception {
    String scope = URLEncoder.encode("repository:" + repository + ":pull", StandardCharsets.UTF_8);
    return http.send(HttpRequest.newBuilder(URI.create(ts.registryUrl() + "/token?service=turnstile&scope="
        + scope)).header("Authorization", TestTurnstile.basic(user, secret)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private int manifest(String bearer, String tag) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(ts.registryUrl() + "/v2/vendor/app/manifests/" + tag))
        .header("Authorization", "Bearer " + bearer).header("Accept", FakeRegistry.OCI_MANIFEST)
        .header("User-Agent", "docker/27.0.3").build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private String bearer(HttpResponse<String> tokenAnswer) throws Exception {
    assertThat(tokenAnswer.statusCode()).as(tokenAnswer.body()).isEqualTo(200);
    return ts.json.readTree(tokenAnswer.body()).get("token").asText();
  }

  @Test
  void aTokenMadeInThePortal_pullsTheGrantedTag_notAnotherLicensesTags_andIsRefusedOnceRevoked() throws Exception {
    signIn(login.username(), login.key());
    String secret = create("ci", "");
    String page = browser.get("/portal/").body();
    assertThat(page).as("shown once only").doesNotContain(secret);
    assertThat(page).contains("data-token=\"ci\"");

    String bearer = bearer(token(login.username(), secret, "vendor/app"));
    assertThat(manifest(bearer, "1.0.0")).isEqualTo(200);
    assertThat(manifest(bearer, "2.0.0")).as("granted by the other license only").isIn(401, 403, 404);
    assertThat(token(other.username(), secret, "vendor/app").statusCode()).as("the other license's id").isEqualTo(401);

    browser.post("/portal/tokens/revoke", Map.of("license", login.username(), "token", tokenIdOn(page)));
    assertThat(browser.get("/portal/").body()).contains("revoked").doesNotContain("data-token=\"ci\"");
    assertThat(token(login.username(), secret, "vendor/app").statusCode()).isEqualTo(401);
    assertThat(manifest(bearer, "1.0.0")).as("a registry token naming the revoked pull token").isEqualTo(401);
    assertThat(manifest(bearer(token(login.username(), login.key(), "vendor/app")), "1.0.0"))
        .as("the license key still works").isEqualTo(200);
  }

  @Test
  void aPullWithAToken_isNamedInThePullLog_andItsLastUseIsShown() throws Exception {
    signIn(login.username(), login.key());
    String secret = create("cluster-eu", "");
    String tokenId = tokenIdOn(browser.get("/portal/").body());
    assertThat(manifest(bearer(token(login.username(), secret, "vendor/app")), "1.0.0")).isEqualTo(200);
    List<JsonNode> rows = new ArrayList<>();
    until("the pull's record", () -> {
      ts.server.pullAudit().flush(Duration.ofSeconds(10));
      rows.clear();
      ts.admin("GET", "/admin/v1/pulls?licenseId=" + login.username(), null).body().get("pulls").forEach(rows::add);
      return !rows.isEmpty();
    });
    assertThat(rows.get(0).get("credential").asText()).isEqualTo("token");
    assertThat(rows.get(0).get("tokenId").asText()).isEqualTo(tokenId);
    assertThat(browser.get("/portal/").body()).doesNotContain("<td>never</td>");
  }

  @Test
  void rotating_showsANewSecret_andTheOldOneStops() throws Exception {
    signIn(login.username(), login.key());
    String old = create("ci", LocalDate.now(ZoneOffset.UTC).plusDays(30).toString());
    HttpResponse<String> r = browser.post("/portal/tokens/rotate",
        Map.of("license", login.username(), "token", tokenIdOn(browser.get("/portal/").body())));
    assertThat(r.statusCode()).isEqualTo(303);
    String fresh = secretOn(browser.get("/portal/").body());
    assertThat(fresh).isNotEqualTo(old);
    assertThat(token(login.username(), old, "vendor/app").statusCode()).isEqualTo(401);
    assertThat(token(login.username(), fresh, "vendor/app").statusCode()).isEqualTo(200);
  }

  @Test
  void aSessionOfOneLicense_cannotMakeATokenForAnotherLicense() throws Exception {
    signIn(login.username(), login.key());
    browser.get("/portal/");
    browser.post("/portal/tokens", Map.of("license", other.username(), "name", "sneaky", "expires", ""));
    assertThat(browser.get("/portal/").body()).contains("That license is not one of yours.")
        .doesNotContain("issued-secret");
    assertThat(ts.server.store().pullTokens().list(new io.turnstile.store.LicenseId(other.username()))).isEmpty();
  }

  @Test
  void aPullToken_cannotSignInToThePortal() throws Exception {
    signIn(login.username(), login.key());
    String secret = create("ci", "");
    Browser stranger = new Browser(ts.registryUrl());
    stranger.get("/portal/sign-in");
    HttpResponse<String> r = stranger.post("/portal/sign-in", Map.of("username", login.username(), "key", secret));
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.body()).contains("A pull token cannot sign in to the portal");
  }

  @Test
  void badInput_andTheLimit_areClearMessages_andFormsWithoutCsrfAreRefused() throws Exception {
    signIn(login.username(), login.key());
    browser.get("/portal/");
    browser.post("/portal/tokens", Map.of("license", login.username(), "name", "bad name", "expires", ""));
    assertThat(browser.get("/portal/").body()).contains("name: must be 1 to 64 letters");
    browser.post("/portal/tokens", Map.of("license", login.username(), "name", "ci", "expires", "tomorrow"));
    assertThat(browser.get("/portal/").body()).contains("expires: must be a date, yyyy-mm-dd");
    for (int i = 0; i < 20; i++) {
      create("ci-" + i, "");
    }
    String page = browser.get("/portal/").body();
    assertThat(page).contains("the most it may: revoke one it no longer needs");
    browser.post("/portal/tokens", Map.of("license", login.username(), "name", "one-more", "expires", ""));
    assertThat(browser.get("/portal/").body()).contains("already has 20 pull tokens");
    assertThat(browser.postRaw("/portal/tokens", Map.of("license", login.username(), "name", "x")).statusCode())
        .isEqualTo(403);
  }

  @Test
  void theVendor_seesTheTokenInTheConsole_andRevokesIt_butAViewerCannot() throws Exception {
    signIn(login.username(), login.key());
    String secret = create("ci", "");
    String tokenId = tokenIdOn(browser.get("/portal/").body());

    String viewer = ts.admin("POST", "/admin/v1/api-tokens", "{\"name\":\"look\",\"role\":\"viewer\",\"expiresAt\":\""
        + java.time.Instant.now().plus(Duration.ofDays(7)) + "\"}").body().get("token").asText();
    TestTurnstile.Answer listed = ts.admin("GET", "/admin/v1/licenses/" + login.username() + "/pull-tokens", null, viewer);
    assertThat(listed.status()).isEqualTo(200);
    assertThat(listed.body().get("pullTokens").get(0).get("name").asText()).isEqualTo("ci");
    assertThat(listed.raw()).doesNotContain(secret).doesNotContain("tpt_");
    assertThat(ts.admin("DELETE", "/admin/v1/licenses/" + login.username() + "/pull-tokens/" + tokenId, null, viewer)
        .status()).isEqualTo(403);

    Browser console = new Browser(ts.adminUrl());
    console.get("/console/sign-in");
    assertThat(console.post("/console/sign-in", Map.of("token", TestTurnstile.ADMIN_TOKEN)).statusCode()).isEqualTo(303);
    String page = console.get("/console/licenses/" + login.username()).body();
    assertThat(page).contains("data-token=\"ci\"").contains(tokenId).doesNotContain(secret);
    HttpResponse<String> r = console.post("/console/licenses/" + login.username() + "/pull-tokens/" + tokenId + "/revoke",
        Map.of());
    assertThat(r.statusCode()).isEqualTo(303);
    assertThat(console.get("/console/licenses/" + login.username()).body()).contains("Pull token revoked")
        .doesNotContain("data-token=\"ci\"").contains("license.pull_token_revoked");
    assertThat(token(login.username(), secret, "vendor/app").statusCode()).isEqualTo(401);
  }
}
