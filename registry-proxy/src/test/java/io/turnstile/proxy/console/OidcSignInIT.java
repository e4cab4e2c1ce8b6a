package io.turnstile.proxy.console;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.turnstile.proxy.testing.Browser;
import io.turnstile.proxy.testing.ClosedPort;
import io.turnstile.proxy.testing.TestTurnstile;
import java.net.HttpCookie;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Console sign-in through an OpenID Connect provider (mock-oauth2-server) on a real Turnstile: the
 * code flow end to end, role mapping, and each way a sign-in must fail.
 */
class OidcSignInIT {
  private static final String CALLBACK_BASE = "http://turnstile-admin.test";

  @TempDir Path dir;
  private OidcProviderFixture provider;
  private TestTurnstile ts;
  private Browser browser;
  private final HttpClient atProvider = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

  @BeforeEach
  void start() throws Exception {
    provider = new OidcProviderFixture();
    ts = TestTurnstile.withAdmin(dir, "http://127.0.0.1:9", provider.adminYaml(), provider.env());
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
    provider.close();
  }

  /** The browser's trip: Turnstile's start, the provider's authorize endpoint, back to the callback. */
  private HttpResponse<String> signIn(Browser b, String next, UnaryOperator<String> authorize,
      UnaryOperator<String> callback) throws Exception {
    HttpResponse<String> start = b.get("/console/oidc/start" + (next == null ? "" : "?next=" + enc(next)));
    assertThat(start.statusCode()).as(start.body()).isEqualTo(303);
    String to = authorize.apply(start.headers().firstValue("Location").orElseThrow());
    assertThat(to).startsWith(provider.issuer());
    HttpResponse<String> back = atProvider.send(HttpRequest.newBuilder(URI.create(to)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(back.statusCode()).as(back.body()).isEqualTo(302);
    String location = callback.apply(back.headers().firstValue("Location").orElseThrow());
    assertThat(location).startsWith(CALLBACK_BASE + "/console/oidc/callback?");
    return b.get(location.substring(CALLBACK_BASE.length()));
  }

  private HttpResponse<String> signIn(Browser b) throws Exception {
    return signIn(b, null, UnaryOperator.identity(), UnaryOperator.identity());
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static String sessionCookie(HttpResponse<?> r) {
    return r.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith("turnstile_console="))
        .findFirst().orElse(null);
  }

  private static String continueTo(HttpResponse<String> page) {
    Matcher m = Pattern.compile("http-equiv=\"refresh\" content=\"0;url=([^\"]+)\"").matcher(page.body());
    return m.find() ? m.group(1) : null;
  }

  private List<String> logLines() {
    return logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
  }

  @Test
  void anEditor_signsInThroughTheProvider_andThePagesNameThemAndTheirRole() throws Exception {
    provider.nextPerson("alice@vendor.example", "turnstile-editors");
    HttpResponse<String> page = signIn(browser);
    assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
    assertThat(continueTo(page)).isEqualTo("/console/licenses");
    assertThat(sessionCookie(page)).contains("HttpOnly").contains("SameSite=Strict").contains("Path=/console");
    HttpResponse<String> licenses = browser.get("/console/licenses");
    assertThat(licenses.statusCode()).isEqualTo(200);
    assertThat(licenses.body()).contains("Signed in as alice@vendor.example (editor)");
    assertThat(logLines()).anyMatch(l -> l.contains("console sign-in: alice@vendor.example (editor)"));
  }

  @Test
  void theStartRequest_carriesPkceStateAndNonce_andTheRegisteredRedirectUri() throws Exception {
    HttpResponse<String> start = browser.get("/console/oidc/start");
    URI authorize = URI.create(start.headers().firstValue("Location").orElseThrow());
    String query = URLDecoder.decode(authorize.getRawQuery(), StandardCharsets.UTF_8);
    assertThat(query).contains("response_type=code", "code_challenge_method=S256", "code_challenge=", "state=",
        "nonce=", "client_id=" + OidcProviderFixture.CLIENT_ID, "scope=openid profile email",
        "redirect_uri=" + CALLBACK_BASE + "/console/oidc/callback");
    String pending = start.headers().allValues("Set-Cookie").stream()
        .filter(c -> c.startsWith("turnstile_console_oidc=")).findFirst().orElseThrow();
    assertThat(pending).contains("HttpOnly", "SameSite=Lax", "Path=/console/oidc", "Max-Age=600");
  }

  @Test
  void groups_mapToTheHighestRoleTheyGive() throws Exception {
    String[][] cases = {
        {"root@vendor.example", "admin", "turnstile-admins"},
        {"lead@vendor.example", "admin", "support", "turnstile-admins", "turnstile-editors"},
        {"ed@vendor.example", "editor", "turnstile-editors", "support"},
        {"sam@vendor.example", "viewer", "support"},
        {"vic@vendor.example", "viewer", "turnstile-viewers", "unrelated"}};
    for (String[] c : cases) {
      Browser b = new Browser(ts.adminUrl());
      provider.nextPerson(c[0], java.util.Arrays.copyOfRange(c, 2, c.length));
      assertThat(signIn(b).statusCode()).isEqualTo(200);
      assertThat(b.get("/console/licenses").body()).as(c[0]).contains("Signed in as " + c[0] + " (" + c[1] + ")");
    }
  }

  @Test
  void aPersonWhoseGroupsMapToNoRole_isRefusedWithAPageSayingSo() throws Exception {
    provider.nextPerson("eve@vendor.example", "marketing", "everyone");
    HttpResponse<String> page = signIn(browser);
    assertThat(page.statusCode()).isEqualTo(403);
    assertThat(page.body()).contains("signed you in as eve@vendor.example")
        .contains("holds no value that gives a Turnstile console role").contains("<code>marketing</code>");
    assertThat(sessionCookie(page)).isNull();
    assertThat(browser.get("/console/licenses").statusCode()).isEqualTo(303);
    assertThat(logLines()).anyMatch(l -> l.contains("console sign-in refused: no role for eve@vendor.example"));
  }

  @Test
  void anUnverifiedEmail_doesNotNameThePerson_theSubjectDoes() throws Exception {
    provider.next("default", "subject-7", Map.of("email", "ceo@vendor.example", "email_verified", false,
        "groups", List.of("turnstile-viewers")), 3600);
    assertThat(signIn(browser).statusCode()).isEqualTo(200);
    assertThat(browser.get("/console/licenses").body()).contains("Signed in as subject-7 (viewer)")
        .doesNotContain("ceo@vendor.example");
  }

  @Test
  void aCallbackWithAnotherState_isRefused() throws Exception {
    provider.nextPerson("alice@vendor.example", "turnstile-admins");
    HttpResponse<String> page = signIn(browser, null, UnaryOperator.identity(),
        to -> to.replaceAll("state=[^&]+", "state=forged-state"));
    assertThat(page.statusCode()).isEqualTo(400);
    assertThat(page.body()).contains("does not belong to the sign-in this browser started");
    assertThat(sessionCookie(page)).isNull();
  }

  @Test
  void aCallbackWithoutASignInStartedInThisBrowser_isRefused() throws Exception {
    // Login CSRF: an attacker's own code and state, delivered to the victim's browser.
    Browser attacker = new Browser(ts.adminUrl());
    provider.nextPerson("mallory@vendor.example", "turnstile-admins");
    HttpResponse<String> start = attacker.get("/console/oidc/start");
    HttpResponse<String> back = atProvider.send(HttpRequest.newBuilder(
        URI.create(start.headers().firstValue("Location").orElseThrow())).build(), HttpResponse.BodyHandlers.ofString());
    String callback = back.headers().firstValue("Location").orElseThrow().substring(CALLBACK_BASE.length());
    HttpResponse<String> victim = browser.get(callback);
    assertThat(victim.statusCode()).isEqualTo(400);
    assertThat(victim.body()).contains("no sign-in under way");
    assertThat(sessionCookie(victim)).isNull();
  }

  @Test
  void anIdTokenWithAnotherNonce_isRefused() throws Exception {
    provider.nextPerson("alice@vendor.example", "turnstile-admins");
    HttpResponse<String> page = signIn(browser, null, to -> to.replaceAll("nonce=[^&]+", "nonce=replayed-nonce"),
        UnaryOperator.identity());
    assertThat(page.statusCode()).isEqualTo(401);
    assertThat(page.body()).contains("could not be verified");
    assertThat(sessionCookie(page)).isNull();
    assertThat(logLines()).anyMatch(l -> l.contains("ID token refused") && l.contains("nonce"));
  }

  @Test
  void anExpiredIdToken_isRefused() throws Exception {
    String[] nonce = new String[1];
    HttpResponse<String> page = signIn(browser, null, to -> {
      nonce[0] = URLDecoder.decode(to.replaceAll(".*[?&]nonce=([^&]+).*", "$1"), StandardCharsets.UTF_8);
      return to;
    }, to -> {
      // Issued two hours ago for one hour, everything else right: well past the minute of skew allowed.
      java.time.Instant now = java.time.Instant.now();
      try {
        provider.answerTokenRequestWithIdToken(nonce[0], now.minusSeconds(7200), now.minusSeconds(3600));
      } catch (com.nimbusds.jose.JOSEException e) {
        throw new IllegalStateException(e);
      }
      return to;
    });
    assertThat(page.statusCode()).as(page.body()).isEqualTo(401);
    assertThat(sessionCookie(page)).isNull();
    assertThat(logLines()).anyMatch(l -> l.contains("ID token refused") && l.contains("xpired"));
  }

  @Test
  void anIdTokenFromAnotherIssuer_isRefused() throws Exception {
    provider.next("default", "intruder", Map.of("iss", "http://127.0.0.1:1/other", "groups",
        List.of("turnstile-admins")), 3600);
    HttpResponse<String> page = signIn(browser);
    assertThat(page.statusCode()).isEqualTo(401);
    assertThat(sessionCookie(page)).isNull();
    assertThat(logLines()).anyMatch(l -> l.contains("ID token refused") && l.contains("issuer"));
  }

  @Test
  void afterTheProviderRotatesItsKey_signInStillWorks_withTheNewKeyFetched() throws Exception {
    provider.nextPerson("alice@vendor.example", "turnstile-editors");
    assertThat(signIn(browser).statusCode()).isEqualTo(200);
    String before = provider.keys.keyId();
    provider.keys.rotate();
    assertThat(provider.keys.keyId()).isNotEqualTo(before);
    Browser again = new Browser(ts.adminUrl());
    provider.nextPerson("bob@vendor.example", "turnstile-viewers");
    HttpResponse<String> page = signIn(again);
    assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
    assertThat(again.get("/console/licenses").body()).contains("Signed in as bob@vendor.example (viewer)");
  }

  @Test
  void signInGivesANewSessionId_andEndsTheOneTheBrowserBrought() throws Exception {
    // Session fixation: the attacker's own live session id, planted in the victim's browser.
    Browser attacker = new Browser(ts.adminUrl());
    provider.nextPerson("mallory@vendor.example", "turnstile-viewers");
    signIn(attacker);
    HttpCookie planted = attacker.cookies.getCookieStore().getCookies().stream()
        .filter(c -> c.getName().equals("turnstile_console")).findFirst().orElseThrow();
    HttpCookie copy = new HttpCookie("turnstile_console", planted.getValue());
    copy.setPath("/console");
    browser.cookies.getCookieStore().add(URI.create(ts.adminUrl()), copy);
    provider.nextPerson("alice@vendor.example", "turnstile-admins");
    HttpResponse<String> page = signIn(browser);
    String issued = sessionCookie(page);
    assertThat(issued).isNotNull().doesNotContain(planted.getValue());
    Browser victim = new Browser(ts.adminUrl());
    HttpCookie fresh = new HttpCookie("turnstile_console", issued.substring("turnstile_console=".length(), issued.indexOf(';')));
    fresh.setPath("/console");
    victim.cookies.getCookieStore().add(URI.create(ts.adminUrl()), fresh);
    assertThat(victim.get("/console/licenses").body()).contains("Signed in as alice@vendor.example (admin)");
    assertThat(attacker.get("/console/licenses").statusCode()).isEqualTo(303);
  }

  @Test
  void afterSignIn_theBrowserGoesOnlyToTheConsolesOwnPaths() throws Exception {
    Map<String, String> cases = Map.of(
        "/console/customers", "/console/customers",
        "https://evil.example/console/", "/console/licenses",
        "//evil.example/console/", "/console/licenses",
        "/console//evil.example", "/console/licenses",
        "/console/../evil", "/console/licenses",
        "/console/%2F%2Fevil.example", "/console/licenses",
        "/console/x\\evil", "/console/licenses",
        "/portal/licenses", "/console/licenses");
    for (Map.Entry<String, String> c : cases.entrySet()) {
      Browser b = new Browser(ts.adminUrl());
      provider.nextPerson("alice@vendor.example", "turnstile-editors");
      HttpResponse<String> page = signIn(b, c.getKey(), UnaryOperator.identity(), UnaryOperator.identity());
      assertThat(continueTo(page)).as(c.getKey()).isEqualTo(c.getValue());
    }
  }

  @Test
  void aConsolePageAskedForBeforeSignIn_isWhereSignInReturns() throws Exception {
    HttpResponse<String> r = browser.get("/console/customers");
    assertThat(r.headers().firstValue("Location")).hasValue("/console/sign-in?next=%2Fconsole%2Fcustomers");
    HttpResponse<String> page = browser.get("/console/sign-in?next=%2Fconsole%2Fcustomers");
    assertThat(page.body()).contains("href=\"/console/oidc/start?next=%2Fconsole%2Fcustomers\"")
        .contains("Break-glass: the admin token");
  }

  @Test
  void signOut_endsTheSession_andContinuesAtTheProvidersEndSessionEndpoint() throws Exception {
    provider.nextPerson("alice@vendor.example", "turnstile-editors");
    HttpResponse<String> callback = signIn(browser);
    HttpResponse<String> page = browser.get("/console/licenses");
    String end = provider.server.endSessionEndpointUrl("default").toString();
    URI endOrigin = URI.create(end);
    assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow())
        .contains("form-action 'self' " + endOrigin.getScheme() + "://" + endOrigin.getRawAuthority() + ";");
    HttpResponse<String> out = browser.post("/console/sign-out", Map.of());
    assertThat(out.statusCode()).isEqualTo(303);
    String location = out.headers().firstValue("Location").orElseThrow();
    assertThat(location).startsWith(end + "?");
    String query = URLDecoder.decode(URI.create(location).getRawQuery(), StandardCharsets.UTF_8);
    assertThat(query).contains("post_logout_redirect_uri=" + CALLBACK_BASE + "/console/sign-in")
        .contains("client_id=" + OidcProviderFixture.CLIENT_ID).contains("id_token_hint=");
    assertThat(browser.get("/console/licenses").statusCode()).isEqualTo(303);

    // Neither the ID token, the code nor the client secret reached the log.
    String idToken = query.replaceAll("(?s).*id_token_hint=([^&]+).*", "$1");
    assertThat(idToken).hasSizeGreaterThan(100);
    assertThat(logLines()).noneMatch(l -> l.contains(idToken) || l.contains(OidcProviderFixture.CLIENT_SECRET))
        .noneMatch(l -> l.contains(callback.uri().getQuery()));
  }

  @Test
  void whenTheProviderCannotBeReached_theSignInPageSaysSo_andTheAdminTokenStillSignsIn() throws Exception {
    ts.close();
    try (ClosedPort closed = new ClosedPort()) {
      ts = TestTurnstile.withAdmin(dir, "http://127.0.0.1:9",
          provider.adminYaml().replace(provider.issuer(), "http://127.0.0.1:" + closed.port() + "/default"),
          provider.env());
      browser = new Browser(ts.adminUrl());
      HttpResponse<String> page = browser.get("/console/oidc/start");
      assertThat(page.statusCode()).isEqualTo(502);
      assertThat(page.body()).contains("The identity provider cannot be reached");
      HttpResponse<String> r = browser.post("/console/sign-in", Map.of("token", TestTurnstile.ADMIN_TOKEN));
      assertThat(r.statusCode()).isEqualTo(303);
      assertThat(browser.get("/console/licenses").body()).contains("Signed in as admin-token (admin)");
    }
  }
}
