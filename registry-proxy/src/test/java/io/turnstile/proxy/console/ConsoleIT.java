package io.turnstile.proxy.console;

import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static io.turnstile.store.testing.Eventually.until;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.turnstile.proxy.testing.Browser;
import io.turnstile.proxy.testing.FakeRegistry;
import io.turnstile.proxy.testing.TestTurnstile;
import io.turnstile.store.Access;
import java.net.HttpCookie;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The vendor console on a real Turnstile: sessions, CSRF, the guide's steps, keys shown once. */
class ConsoleIT {
  @RegisterExtension
  static WireMockExtension upstream = WireMockExtension.newInstance()
      .options(wireMockConfig().dynamicPort()).build();

  @TempDir Path dir;
  private TestTurnstile ts;
  private Browser browser;
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

  @BeforeEach
  void start() throws Exception {
    upstream.stubFor(get(urlPathEqualTo("/v2/org/app/tags/list"))
        .willReturn(okJson("{\"name\":\"org/app\",\"tags\":[\"1.0.0\",\"1.1.0\",\"2.0.0\",\"latest\"]}")));
    ts = new TestTurnstile(dir, upstream.baseUrl());
    browser = new Browser(ts.adminUrl());
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    logs.setContext(context);
    logs.start();
    context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(logs);
  }

  @AfterEach
  void stop() {
    ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).detachAppender(logs);
    ts.close();
  }

  private void signIn() throws Exception {
    browser.get("/console/sign-in");
    HttpResponse<String> r = browser.post("/console/sign-in", Map.of("token", TestTurnstile.ADMIN_TOKEN));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(303);
  }

  private String createCustomer(String name) throws Exception {
    browser.get("/console/customers");
    HttpResponse<String> r = browser.post("/console/customers", Map.of("name", name));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(303);
    String location = r.headers().firstValue("Location").orElseThrow();
    return location.substring(location.lastIndexOf('/') + 1);
  }

  private static String issuedKey(String page) {
    Matcher m = Pattern.compile("id=\"issued-key\">([^<]+)<").matcher(page);
    return m.find() ? m.group(1) : null;
  }

  @Test
  void signIn_setsAStrictHttpOnlySessionCookie_andNeverShowsTheToken() throws Exception {
    HttpResponse<String> form = browser.get("/console/sign-in");
    assertThat(form.statusCode()).isEqualTo(200);
    HttpResponse<String> r = browser.post("/console/sign-in", Map.of("token", TestTurnstile.ADMIN_TOKEN));
    assertThat(r.statusCode()).isEqualTo(303);
    String cookie = r.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith("turnstile_console="))
        .findFirst().orElseThrow();
    assertThat(cookie).contains("HttpOnly").contains("SameSite=Strict").contains("Path=/console")
        .doesNotContain("Secure").doesNotContain(TestTurnstile.ADMIN_TOKEN);
    HttpResponse<String> page = browser.get("/console/licenses");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("License management").doesNotContain(TestTurnstile.ADMIN_TOKEN);
  }

  @Test
  void theIcon_isServedWithoutASession_andEveryPageNamesIt() throws Exception {
    HttpResponse<String> icon = browser.get("/favicon.ico");
    assertThat(icon.statusCode()).isEqualTo(200);
    assertThat(icon.headers().firstValue("Content-Type")).hasValue("image/svg+xml");
    assertThat(icon.body()).startsWith("<svg");
    assertThat(browser.get("/console/static/favicon.svg").statusCode()).isEqualTo(200);
    assertThat(browser.get("/console/sign-in").body())
        .contains("<link rel=\"icon\" href=\"/console/static/favicon.svg\" type=\"image/svg+xml\">");
  }

  @Test
  void wrongToken_startsNoSession() throws Exception {
    browser.get("/console/sign-in");
    HttpResponse<String> r = browser.post("/console/sign-in", Map.of("token", "wrong"));
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().allValues("Set-Cookie")).noneMatch(c -> c.startsWith("turnstile_console="));
    assertThat(browser.get("/console/licenses").statusCode()).isEqualTo(303);
  }

  @Test
  void wrongTokens_areThrottledPerAddress_thenEvenTheRightOneWaits() throws Exception {
    browser.get("/console/sign-in");
    for (int i = 0; i < 10; i++) {
      assertThat(browser.post("/console/sign-in", Map.of("token", "guess-" + i)).statusCode()).isEqualTo(401);
      browser.get("/console/sign-in");
    }
    HttpResponse<String> r = browser.post("/console/sign-in", Map.of("token", TestTurnstile.ADMIN_TOKEN));
    assertThat(r.statusCode()).isEqualTo(429);
    assertThat(r.body()).contains("Too many wrong tokens from your address");
    assertThat(r.headers().allValues("Set-Cookie")).noneMatch(c -> c.startsWith("turnstile_console="));
  }

  @Test
  void signInWithoutTheFormsCsrfToken_isRefused() throws Exception {
    browser.get("/console/sign-in");
    HttpResponse<String> r = browser.postRaw("/console/sign-in", Map.of("token", TestTurnstile.ADMIN_TOKEN));
    assertThat(r.statusCode()).isEqualTo(403);
  }

  @Test
  void aFormWithoutOrWithAWrongCsrfToken_isRefused_andChangesNothing() throws Exception {
    signIn();
    browser.get("/console/customers");
    assertThat(browser.postRaw("/console/customers", Map.of("name", "Evil")).statusCode()).isEqualTo(403);
    assertThat(browser.postRaw("/console/customers", Map.of("name", "Evil", "csrf", "forged")).statusCode())
        .isEqualTo(403);
    assertThat(ts.admin("GET", "/admin/v1/customers", null).body().get("customers")).isEmpty();
  }

  @Test
  void signOut_endsTheSession() throws Exception {
    signIn();
    browser.get("/console/licenses");
    HttpResponse<String> out = browser.post("/console/sign-out", Map.of());
    assertThat(out.statusCode()).isEqualTo(303);
    assertThat(out.headers().allValues("Set-Cookie")).anyMatch(c -> c.startsWith("turnstile_console=;") && c.contains("Max-Age=0"));
    assertThat(browser.get("/console/licenses").statusCode()).isEqualTo(303);
  }

  @Test
  void anEndedSessionsCookie_isRefusedEvenWhenReplayed() throws Exception {
    signIn();
    HttpCookie session = browser.cookies.getCookieStore().getCookies().stream()
        .filter(c -> c.getName().equals("turnstile_console")).findFirst().orElseThrow();
    browser.get("/console/licenses");
    browser.post("/console/sign-out", Map.of());
    Browser replay = new Browser(ts.adminUrl());
    replay.cookies.getCookieStore().add(java.net.URI.create(ts.adminUrl() + "/console"), session);
    assertThat(replay.get("/console/licenses").statusCode()).isEqualTo(303);
  }

  @Test
  void pages_carryAStrictContentSecurityPolicy_andRefuseFraming() throws Exception {
    HttpResponse<String> r = browser.get("/console/sign-in");
    assertThat(r.headers().firstValue("Content-Security-Policy").orElseThrow())
        .contains("script-src 'self'").contains("frame-ancestors 'none'").doesNotContain("unsafe-inline");
    assertThat(r.headers().firstValue("X-Frame-Options")).hasValue("DENY");
    assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(r.body()).doesNotContain("<script>").doesNotContain(" onclick=").doesNotContain("style=\"");
  }

  @Test
  void customerAndLicenseNames_renderAsText() throws Exception {
    signIn();
    String customer = createCustomer("<script>alert(1)</script>");
    String page = browser.get("/console/customers/" + customer).body();
    assertThat(page).doesNotContain("<script>alert(1)</script>").contains("&lt;script&gt;alert(1)&lt;/script&gt;");
    browser.get("/console/licenses/new");
    HttpResponse<String> created = browser.post("/console/licenses", Map.of("name", "<img src=x onerror=alert(2)>",
        "customerId", customer, "application", "app", "version.app", "1.0.0"));
    String licensePage = browser.get(created.headers().firstValue("Location").orElseThrow().substring("".length())
        .replace(ts.adminUrl(), "")).body();
    assertThat(licensePage).doesNotContain("<img src=x").contains("&lt;img src=x onerror=alert(2)&gt;");
    assertThat(browser.get("/console/licenses").body()).doesNotContain("<img src=x").doesNotContain("<script>alert");
  }

  @Test
  void createLicense_followsTheGuidesSteps_showsTheKeyOnce_andTheKeyLogsIn() throws Exception {
    signIn();
    String customer = createCustomer("Acme");
    HttpResponse<String> form = browser.get("/console/licenses/new?customer=" + customer);
    assertThat(form.body()).contains("value=\"1.1.0\"").contains("value=\"2.0.0\"").as("upstream versions")
        .contains("type=\"date\"");
    HttpResponse<String> r = browser.post("/console/licenses", Map.of(
        "name", "Production", "expiresAt", "2099-01-31", "application", "app",
        "version.app", "1.1.0", "moreVersions", "3.0.0", "confirmUnknown", "true", "customerId", customer));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(303);
    String page = r.headers().firstValue("Location").orElseThrow();
    String licenseId = page.substring(page.lastIndexOf('/') + 1);
    String shown = browser.get(page).body();
    String key = issuedKey(shown);
    assertThat(key).startsWith("tsk_");
    assertThat(shown).contains("docker login registry.test:5443 -u " + licenseId);
    assertThat(browser.get(page).body()).as("shown once").doesNotContain(key).doesNotContain("issued-key");
    assertThat(ts.server.store().authorize(licenseId, key)).isInstanceOf(Access.class);
    JsonNode license = ts.admin("GET", "/admin/v1/licenses/" + licenseId, null).body();
    assertThat(license.get("versions")).extracting(JsonNode::asText).containsExactly("1.1.0", "3.0.0");
    assertThat(license.get("expiresAt").asText()).isEqualTo("2099-01-31T00:00:00Z");
    assertThat(license.get("name").asText()).isEqualTo("Production");
    assertThat(license.get("history").get(0).get("actor").asText()).isEqualTo("admin-token");
    assertNoSecretLogged(key);
  }

  @Test
  void aRefusedCreateForm_comesBackAsFilledIn_withTheMessageBesideItsFieldInTheFormsWords() throws Exception {
    signIn();
    String customer = createCustomer("Acme");
    browser.get("/console/licenses/new");
    HttpResponse<String> r = browser.post("/console/licenses", Map.of("name", "Production", "expiresAt", "2099-01-31",
        "application", "app", "version.app", "1.1.0", "moreVersions", "foo bar!!", "customerId", customer,
        "upstreamUsername", "robot", "upstreamPassword", "s3cret-upstream"));
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("id=\"name\" name=\"name\" maxlength=\"200\" value=\"Production\"")
        .contains("value=\"2099-01-31\"")
        .contains("value=\"1.1.0\" checked")
        .contains("value=\"foo bar!!\"")
        .contains("<option value=\"" + customer + "\" selected>")
        .contains("value=\"robot\"")
        .contains("id=\"moreVersions-error\">Other versions: 'bar!!' is not a valid version")
        .doesNotContain("versions[1]").doesNotContain("s3cret-upstream");
    assertThat(ts.admin("GET", "/admin/v1/licenses?customerId=" + customer, null).body().get("licenses")).isEmpty();
    // A paste of 3,000 characters is named, not echoed.
    browser.get("/console/licenses/new");
    String paste = "x".repeat(3_000) + "!";
    String page = browser.post("/console/licenses", Map.of("application", "app", "moreVersions", paste,
        "customerId", customer)).body();
    assertThat(page).contains("Other versions: '" + "x".repeat(60) + "…' is not a valid version")
        .doesNotContain("x".repeat(1_001));
  }

  @Test
  void createForm_asksBeforeGrantingNothing_anExpiryInThePast_orAVersionTheUpstreamLacks() throws Exception {
    signIn();
    String customer = createCustomer("Acme");
    String form = browser.get("/console/licenses/new").body();
    assertThat(form).as("no customer chosen unless opened from one").contains("<option value=\"\" selected>Choose a customer</option>");
    // The upstream's versions, newest first, and no floating tag among them.
    assertThat(form.indexOf("value=\"2.0.0\"")).isLessThan(form.indexOf("value=\"1.1.0\""));
    assertThat(form).doesNotContain("value=\"latest\"");

    HttpResponse<String> empty = browser.post("/console/licenses", Map.of("application", "app", "customerId", customer));
    assertThat(empty.statusCode()).isEqualTo(400);
    assertThat(empty.body()).contains("id=\"versions-error\">Versions: pick or type at least one version or range");
    browser.get("/console/licenses/new");
    assertThat(browser.post("/console/licenses", Map.of("application", "app", "customerId", customer,
        "grantNothing", "true")).statusCode()).isEqualTo(303);

    String today = java.time.LocalDate.now(java.time.ZoneOffset.UTC).toString();
    browser.get("/console/licenses/new");
    HttpResponse<String> past = browser.post("/console/licenses", Map.of("application", "app", "customerId", customer,
        "version.app", "1.1.0", "expiresAt", today));
    assertThat(past.statusCode()).isEqualTo(400);
    assertThat(past.body()).contains("id=\"expiresAt-error\">Expires on: " + today + " is today or earlier")
        .contains("id=\"confirmExpiry\"");

    browser.get("/console/licenses/new");
    HttpResponse<String> typo = browser.post("/console/licenses", Map.of("application", "app", "customerId", customer,
        "moreVersions", "1.0.O"));
    assertThat(typo.statusCode()).isEqualTo(400);
    assertThat(typo.body()).contains("Other versions: not found at the upstream: 1.0.O.").contains("id=\"confirmUnknown\"");
    HttpResponse<String> confirmed = browser.post("/console/licenses", Map.of("application", "app", "customerId", customer,
        "moreVersions", "1.0.O", "confirmUnknown", "true"));
    assertThat(confirmed.statusCode()).isEqualTo(303);
    assertThat(ts.admin("GET", "/admin/v1/licenses?customerId=" + customer, null).body().get("licenses")).hasSize(2);
  }

  @Test
  void licensePage_asksBeforeGrantingAVersionTheUpstreamLacks_orAnExpiryThatCutsOffAtOnce() throws Exception {
    signIn();
    TestTurnstile.Login login = ts.license("app", "1.0.0");
    String page = "/console/licenses/" + login.username();
    assertThat(browser.get(page).body()).contains("data-confirm=\"Revoke version 1.0.0?");
    HttpResponse<String> typo = browser.post(page + "/versions", Map.of("moreVersions", "1.0.O"));
    assertThat(typo.statusCode()).isEqualTo(200);
    assertThat(typo.body()).contains("Not found at the upstream: 1.0.O.").contains("name=\"confirmUnknown\" value=\"true\"")
        .contains("name=\"version\" value=\"1.0.O\"");
    assertThat(ts.admin("GET", "/admin/v1/licenses/" + login.username(), null).body().get("versions")).hasSize(1);
    assertThat(browser.post(page + "/versions", Map.of("version", "1.0.O", "confirmUnknown", "true")).statusCode())
        .isEqualTo(303);
    assertThat(ts.admin("GET", "/admin/v1/licenses/" + login.username(), null).body().get("versions"))
        .extracting(JsonNode::asText).contains("1.0.O");

    browser.get(page);
    HttpResponse<String> past = browser.post(page + "/expiry", Map.of("expiresAt", "2020-01-01"));
    assertThat(past.body()).contains("Cut the customer off now?");
    assertThat(ts.admin("GET", "/admin/v1/licenses/" + login.username(), null).body().get("expiresAt").isNull()).isTrue();
    browser.post(page + "/expiry", Map.of("expiresAt", "2098-05-01"));
    assertThat(browser.get(page).body()).contains("until 2098-05-01 00:00 UTC");
  }

  @Test
  void licensePage_renames_setsAndClearsUpstreamCredentials_andCustomersShowTheirIds() throws Exception {
    signIn();
    TestTurnstile.Login login = ts.license("app", "1.0.0");
    String page = "/console/licenses/" + login.username();
    browser.get(page);
    assertThat(browser.post(page + "/name", Map.of("name", "Staging")).statusCode()).isEqualTo(303);
    assertThat(browser.get(page).body()).contains("Renamed to Staging.").contains("<h1>Staging</h1>");
    browser.post(page + "/upstream", Map.of("upstreamUsername", "robot", "upstreamPassword", "s3cret-robot"));
    String withCredentials = browser.get(page).body();
    assertThat(withCredentials).contains("pulls from the upstream as robot").doesNotContain("s3cret-robot");
    JsonNode l = ts.admin("GET", "/admin/v1/licenses/" + login.username(), null).body();
    assertThat(l.get("name").asText()).isEqualTo("Staging");
    assertThat(l.get("upstreamCredentials").get("username").asText()).isEqualTo("robot");
    browser.post(page + "/upstream", Map.of("clear", "true"));
    assertThat(browser.get(page).body()).contains("with the upstream's own credentials");
    assertThat(ts.admin("GET", "/admin/v1/licenses/" + login.username(), null).body().get("upstreamCredentials").isNull())
        .isTrue();
    assertThat(browser.get("/console/licenses").body()).contains("Acme (" + login.customer() + ")");

    String twin = createCustomer("Acme");
    assertThat(browser.get("/console/customers/" + twin).body()).contains(login.customer() + " already bears the name Acme");
    ts.admin("DELETE", "/admin/v1/customers/" + login.customer(), null);
    assertThat(browser.get("/console/licenses?state=revoked").body()).contains("(deleted customer)");
  }

  @Test
  void customerPage_renamesTheCustomer_andLicensePage_movesTheLicenseToAnother() throws Exception {
    signIn();
    TestTurnstile.Login login = ts.license("app", "1.0.0");
    String customerPage = "/console/customers/" + login.customer();
    browser.get(customerPage);
    assertThat(browser.post(customerPage + "/name", Map.of("name", "Acme Corporation")).statusCode()).isEqualTo(303);
    assertThat(browser.get(customerPage).body()).contains("Renamed to Acme Corporation.")
        .contains("<h1>Acme Corporation</h1>");
    browser.post(customerPage + "/name", Map.of("name", " "));
    assertThat(browser.get(customerPage).body()).as("a blank name is refused with the API's message")
        .contains("<h1>Acme Corporation</h1>").contains("name");

    String initech = createCustomer("Initech");
    String page = "/console/licenses/" + login.username();
    String before = browser.get(page).body();
    assertThat(before).contains("data-confirm=\"Move this license to the chosen customer?")
        .contains("<option value=\"" + initech + "\">Initech (" + initech + ")</option>")
        .doesNotContain("<option value=\"" + login.customer() + "\">");
    assertThat(browser.post(page + "/move", Map.of("customerId", initech)).statusCode()).isEqualTo(303);
    String after = browser.get(page).body();
    assertThat(after).contains("Moved to Initech.").contains("/console/customers/" + initech + "\">Initech</a>")
        .contains("license.moved");
    assertThat(browser.get("/console/customers/" + initech).body()).contains("/console/licenses/" + login.username());
    assertThat(browser.get(customerPage).body()).doesNotContain("/console/licenses/" + login.username());
  }

  @Test
  void licensePage_grantsRevokesRotatesAndRevokes_throughTheAdminApisRules() throws Exception {
    signIn();
    TestTurnstile.Login login = ts.license("app", "1.0.0");
    String page = "/console/licenses/" + login.username();
    browser.get(page);
    assertThat(browser.post(page + "/versions", Map.of("version", "2.0.0")).statusCode()).isEqualTo(303);
    assertThat(browser.get(page).body()).contains("Granted 2.0.0.");
    assertThat(browser.post(page + "/versions/1.0.0/revoke", Map.of()).statusCode()).isEqualTo(303);
    browser.get(page);
    assertThat(browser.post(page + "/expiry", Map.of("expiresAt", "2098-05-01")).statusCode()).isEqualTo(303);
    JsonNode l = ts.admin("GET", "/admin/v1/licenses/" + login.username(), null).body();
    assertThat(l.get("versions")).extracting(JsonNode::asText).containsExactly("2.0.0");
    assertThat(l.get("expiresAt").asText()).isEqualTo("2098-05-01T00:00:00Z");

    browser.get(page);
    browser.post(page + "/key", Map.of());
    String rotated = issuedKey(browser.get(page).body());
    assertThat(ts.server.store().authorize(login.username(), rotated)).isInstanceOf(Access.class);
    assertThat(ts.server.store().authorize(login.username(), login.key())).isNotInstanceOf(Access.class);

    browser.post(page + "/revoke", Map.of());
    String revoked = browser.get(page).body();
    assertThat(revoked).contains("id=\"license-state\">revoked<");
    // The API's rule: a revoked license is frozen. The console shows the API's refusal.
    browser.post(page + "/versions", Map.of("version", "1.1.0"));
    assertThat(browser.get(page).body()).contains("is revoked and cannot be changed");
    assertNoSecretLogged(rotated);
  }

  @Test
  void grantARange_throughTheConsole_showsItsKind_onTheLicenseAndInTheList() throws Exception {
    signIn();
    TestTurnstile.Login login = ts.license("app", "1.0.0");
    String page = "/console/licenses/" + login.username();
    assertThat(browser.get(page).body()).contains("id=\"range\"").contains("id=\"includePrerelease\"");
    HttpResponse<String> r = browser.post(page + "/ranges", Map.of("range", "2.x", "includePrerelease", "true"));
    assertThat(r.statusCode()).isEqualTo(303);
    String shown = browser.get(page).body();
    assertThat(shown).contains("Granted range 2.x, pre-releases included.")
        .contains("<li data-kind=\"range\"><span>2.x</span> <span class=\"kind\">range + pre-releases</span>")
        .contains("<li data-kind=\"exact\"><span>1.0.0</span> <span class=\"kind\">exact</span>");
    browser.post(page + "/ranges", Map.of("range", "*"));
    assertThat(browser.get(page).body()).contains("Granted every version.")
        .contains("<li data-kind=\"all\"><span>*</span> <span class=\"kind\">all versions</span>");
    JsonNode l = ts.admin("GET", "/admin/v1/licenses/" + login.username(), null).body();
    assertThat(l.get("grants").toString()).contains("{\"kind\":\"range\",\"value\":\"2.x\",\"includePrerelease\":true}")
        .contains("\"kind\":\"all\",\"value\":\"*\"");
    assertThat(l.get("history")).anySatisfy(e -> assertThat(e.get("actor").asText()).isEqualTo("admin-token"));
    assertThat(browser.get("/console/licenses").body())
        .contains("1.0.0 (exact), * (all versions), 2.x (range + pre-releases)");
  }

  @Test
  void anInvalidRange_showsTheApisMessage_andChangesNothing() throws Exception {
    signIn();
    TestTurnstile.Login login = ts.license("app", "1.0.0");
    String page = "/console/licenses/" + login.username();
    String before = ts.admin("GET", "/admin/v1/licenses/" + login.username(), null).body().get("grants").toString();
    String apiMessage = ts.admin("POST", "/admin/v1/licenses/" + login.username() + "/ranges", "{\"ranges\":[\"blah\"]}")
        .body().get("error").asText();
    assertThat(apiMessage).contains("'blah' is not a version range");
    browser.get(page);
    assertThat(browser.post(page + "/ranges", Map.of("range", "blah")).statusCode()).isEqualTo(303);
    String shown = browser.get(page).body();
    assertThat(shown).contains("<p class=\"error\" role=\"alert\">"
            + apiMessage.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + "</p>")
        .doesNotContain("data-kind=\"range\"");
    assertThat(ts.admin("GET", "/admin/v1/licenses/" + login.username(), null).body().get("grants").toString())
        .isEqualTo(before);
  }

  @Test
  void withdrawARange_andToggleKeepReleasedBeforeExpiry() throws Exception {
    signIn();
    TestTurnstile.Login login = ts.license("app", "1.0.0");
    String page = "/console/licenses/" + login.username();
    browser.get(page);
    browser.post(page + "/ranges", Map.of("range", ">=2.0.0 <3.0.0"));
    assertThat(browser.get(page).body()).contains("<li data-kind=\"range\"><span>&gt;=2.0.0 &lt;3.0.0</span>")
        .contains("name=\"range\" value=\">=2.0.0 &lt;3.0.0\"");
    assertThat(browser.post(page + "/ranges/revoke", Map.of("range", ">=2.0.0 <3.0.0")).statusCode()).isEqualTo(303);
    assertThat(browser.get(page).body()).contains("Range &gt;=2.0.0 &lt;3.0.0 revoked.").doesNotContain("data-kind=\"range\"");
    JsonNode l = ts.admin("GET", "/admin/v1/licenses/" + login.username(), null).body();
    assertThat(l.get("grants")).hasSize(1);
    assertThat(l.get("keepReleasedBeforeExpiry").asBoolean()).isFalse();
    browser.post(page + "/ranges/revoke", Map.of("range", "9.x"));
    assertThat(browser.get(page).body()).as("the API's 404, shown").contains("class=\"error\"");

    assertThat(browser.post(page + "/keep", Map.of("keep", "true")).statusCode()).isEqualTo(303);
    assertThat(browser.get(page).body()).contains("id=\"keep-released\">keeps granting the versions released before the expiry");
    assertThat(ts.admin("GET", "/admin/v1/licenses/" + login.username(), null).body().get("keepReleasedBeforeExpiry")
        .asBoolean()).isTrue();
    browser.post(page + "/keep", Map.of("keep", "false"));
    assertThat(ts.admin("GET", "/admin/v1/licenses/" + login.username(), null).body().get("keepReleasedBeforeExpiry")
        .asBoolean()).isFalse();
  }

  @Test
  void createLicense_withRangesAndKeepReleasedBeforeExpiry() throws Exception {
    signIn();
    String customer = createCustomer("Acme");
    assertThat(browser.get("/console/licenses/new?customer=" + customer).body()).contains("id=\"ranges\"")
        .contains("id=\"keepReleasedBeforeExpiry\"");
    HttpResponse<String> r = browser.post("/console/licenses", Map.of("application", "app", "customerId", customer,
        "expiresAt", "2099-01-31", "ranges", "2.x, >=1.0.0 <1.1.0", "keepReleasedBeforeExpiry", "true"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(303);
    String location = r.headers().firstValue("Location").orElseThrow();
    JsonNode license = ts.admin("GET", "/admin/v1/licenses/" + location.substring(location.lastIndexOf('/') + 1), null)
        .body();
    assertThat(license.get("grants")).extracting(g -> g.get("kind").asText() + ":" + g.get("value").asText())
        .containsExactly("range:2.x", "range:>=1.0.0 <1.1.0");
    assertThat(license.get("keepReleasedBeforeExpiry").asBoolean()).isTrue();

    browser.get("/console/licenses/new?customer=" + customer);
    HttpResponse<String> bad = browser.post("/console/licenses", Map.of("application", "app", "customerId", customer,
        "ranges", "blah"));
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).contains("<p class=\"error field-error\" id=\"ranges-error\">Ranges: 'blah' is not a version range")
        .contains(">blah</textarea>");
    assertThat(ts.admin("GET", "/admin/v1/licenses?customerId=" + customer, null).body().get("licenses")).hasSize(1);
  }

  @Test
  void customerPage_createsAKeyShownOnce_andRevokesIt() throws Exception {
    signIn();
    String customer = createCustomer("Acme");
    String page = "/console/customers/" + customer;
    browser.get(page);
    browser.post(page + "/keys", Map.of());
    String shown = browser.get(page).body();
    String key = issuedKey(shown);
    assertThat(ts.server.store().authorize(customer, key)).isInstanceOf(Access.class);
    assertThat(browser.get(page).body()).doesNotContain(key);
    String keyId = ts.admin("GET", "/admin/v1/customers/" + customer + "/keys", null).body().get("keys").get(0)
        .get("keyId").asText();
    browser.post(page + "/keys/" + keyId + "/revoke", Map.of());
    assertThat(ts.server.store().authorize(customer, key)).isNotInstanceOf(Access.class);
    browser.get(page);
    browser.post(page + "/delete", Map.of());
    assertThat(ts.admin("GET", "/admin/v1/customers/" + customer, null).status()).isEqualTo(404);
  }

  @Test
  void licenseList_filtersByCustomerApplicationStateAndText() throws Exception {
    signIn();
    TestTurnstile.Login a = ts.license("app", "1.0.0");
    TestTurnstile.Login b = ts.license("tool", "1.0.0");
    ts.admin("DELETE", "/admin/v1/licenses/" + b.username(), null);
    assertThat(browser.get("/console/licenses?application=tool").body()).contains(b.username()).doesNotContain(a.username());
    assertThat(browser.get("/console/licenses?state=revoked").body()).contains(b.username()).doesNotContain(a.username());
    assertThat(browser.get("/console/licenses?state=active").body()).contains(a.username()).doesNotContain(b.username());
    assertThat(browser.get("/console/licenses?customer=" + a.customer()).body()).contains(a.username())
        .doesNotContain(b.username());
    assertThat(browser.get("/console/licenses?q=" + b.username().substring(0, 10)).body()).contains(b.username())
        .doesNotContain(a.username());
  }

  @Test
  void licensePage_showsTheLicensesRecentPulls_fromThePullAuditLog() throws Exception {
    new FakeRegistry(upstream).image("org/app", "1.0.0", 1, 100);
    signIn();
    TestTurnstile.Login a = ts.license("app", "1.0.0");
    HttpResponse<Void> pull = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create(ts.registryUrl() + "/v2/vendor/app/manifests/1.0.0"))
        .header("Authorization", a.basic()).header("Accept", FakeRegistry.OCI_MANIFEST)
        .header("User-Agent", "docker/27.0.3").build(), HttpResponse.BodyHandlers.discarding());
    assertThat(pull.statusCode()).isEqualTo(200);
    // A record is written once the pull's answer is, and repeats are folded for a while: flush.
    String[] page = {""};
    until("the pull on the license's page", () -> {
      assertThat(ts.server.pullAudit().flush(Duration.ofSeconds(10))).isTrue();
      page[0] = browser.get("/console/licenses/" + a.username()).body();
      return page[0].contains("docker/27.0.3");
    });
    assertThat(page[0]).contains("Recent pulls").contains("id=\"recent-pulls\"").contains("vendor/app")
        .contains("docker/27.0.3").doesNotContain(a.key())
        .contains("<th scope=\"col\">When (UTC)</th>").contains("<th scope=\"col\">Client address</th>")
        .doesNotContain("<th scope=\"col\">clientAddress</th>").contains("<td>1.0.0</td>");
  }

  @Test
  void theAdminApi_stillWantsItsBearerToken_withAConsoleSession() throws Exception {
    signIn();
    HttpResponse<String> r = browser.get("/admin/v1/customers");
    assertThat(r.statusCode()).isEqualTo(401);
  }

  private void assertNoSecretLogged(String key) {
    List<String> messages = logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    assertThat(messages).isNotEmpty().noneMatch(m -> m.contains(TestTurnstile.ADMIN_TOKEN)).noneMatch(m -> m.contains(key));
  }
}
