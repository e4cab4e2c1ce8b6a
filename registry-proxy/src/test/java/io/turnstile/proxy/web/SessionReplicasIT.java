package io.turnstile.proxy.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.turnstile.proxy.testing.Browser;
import io.turnstile.proxy.testing.TestTurnstile;
import io.turnstile.store.Access;
import io.turnstile.store.testing.PostgresServer;
import io.turnstile.store.testing.TestPostgres;
import java.net.HttpCookie;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
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
 * Two replicas on one PostgreSQL database behind a load balancer without sticky sessions: a
 * console or portal session made on one is used on the other, its forms and keys shown once
 * included, and ending it on one is refused on the other within a second.
 */
class SessionReplicasIT {
  @RegisterExtension
  static WireMockExtension upstream = WireMockExtension.newInstance()
      .options(com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig().dynamicPort()).build();

  /** How long a wait may last: generous, so a busy machine changes no outcome; bounds are checked apart. */
  private static final Duration PATIENCE = Duration.ofSeconds(30);
  private static final Pattern ISSUED_KEY = Pattern.compile("id=\"issued-key\">([^<]+)<");

  @RegisterExtension static final PostgresServer postgres = new PostgresServer();
  @TempDir Path dir;
  private String db;
  private TestTurnstile a;
  private TestTurnstile b;

  @BeforeEach
  void start() throws Exception {
    db = postgres.newDatabase();
    a = TestTurnstile.replica(dir, upstream.baseUrl(), db, "2s");
    b = TestTurnstile.replica(dir, upstream.baseUrl(), db, "2s");
  }

  @AfterEach
  void stop() {
    a.close();
    b.close();
  }

  @Test
  void consoleSessionMadeOnOneReplica_postsFormsOnTheOther_showsAKeyOnce_andSignOutEndsItEverywhere() throws Exception {
    TestTurnstile.Login login = a.license("app", "1.0.0");
    String page = "/console/licenses/" + login.username();
    Browser onA = new Browser(a.adminUrl());
    onA.get("/console/sign-in");
    assertThat(onA.post("/console/sign-in", Map.of("token", TestTurnstile.ADMIN_TOKEN)).statusCode()).isEqualTo(303);
    String csrfOnA = csrfOf(onA, "/console/licenses");
    Browser onB = onA.at(b.adminUrl());

    HttpResponse<String> opened = onB.get(page);
    assertThat(opened.statusCode()).as("the session made on A opens B's pages").isEqualTo(200);
    assertThat(onB.csrf()).as("one CSRF token on every replica").isEqualTo(csrfOnA);
    assertThat(onB.post(page + "/key", Map.of()).statusCode()).isEqualTo(303);
    // The next page may land on either replica: the key is there once, whichever serves it.
    String rotated = issuedKey(onA.get(page).body());
    assertThat(a.server.store().authorize(login.username(), rotated)).isInstanceOf(Access.class);
    assertThat(onB.get(page).body()).doesNotContain(rotated).doesNotContain("issued-key");
    assertThat(onA.get(page).body()).doesNotContain(rotated);

    String id = cookie(onA, "turnstile_console");
    assertThat(onB.get("/console/licenses").statusCode()).isEqualTo(200);
    assertThat(onB.post("/console/sign-out", Map.of()).statusCode()).isEqualTo(303);
    Instant signedOut = Instant.now();
    Browser stolen = new Browser(a.adminUrl());
    stolen.cookies.getCookieStore().add(null, sessionCookie("turnstile_console", id, "/console"));
    Duration took = awaitRefused(stolen, "/console/licenses", signedOut);
    assertThat(took).as("sign-out on B refused on A after %d ms", took.toMillis()).isLessThan(Duration.ofSeconds(1));
    assertThat(stolen.postRaw("/console/customers", Map.of("name", "Evil", "csrf", csrfOnA)).statusCode())
        .isEqualTo(403);
  }

  @Test
  void consoleSignIn_onAReplicaWithAPlantedId_startsANewSessionThatThePlantedIdDoesNotOpen() throws Exception {
    Browser onA = new Browser(a.adminUrl());
    onA.cookies.getCookieStore().add(null, sessionCookie("turnstile_console", "planted-by-an-attacker", "/console"));
    onA.get("/console/sign-in");
    assertThat(onA.post("/console/sign-in", Map.of("token", TestTurnstile.ADMIN_TOKEN)).statusCode()).isEqualTo(303);
    assertThat(cookie(onA, "turnstile_console")).isNotEqualTo("planted-by-an-attacker");
    Browser attacker = new Browser(b.adminUrl());
    attacker.cookies.getCookieStore().add(null, sessionCookie("turnstile_console", "planted-by-an-attacker", "/console"));
    assertThat(attacker.get("/console/licenses").statusCode()).isEqualTo(303);
  }

  @Test
  void storedSessions_holdNoSessionIdCsrfTokenOrKeyInClear() throws Exception {
    TestTurnstile.Login login = a.license("app", "1.0.0");
    String page = "/console/licenses/" + login.username();
    Browser console = new Browser(a.adminUrl());
    console.get("/console/sign-in");
    console.post("/console/sign-in", Map.of("token", TestTurnstile.ADMIN_TOKEN));
    String csrf = csrfOf(console, page);
    assertThat(console.post(page + "/key", Map.of()).statusCode()).isEqualTo(303);
    Browser portal = new Browser(b.registryUrl());
    portal.get("/portal/sign-in");
    TestTurnstile.Login other = a.license("app", "1.0.0");
    awaitKnown(b, other.username());
    assertThat(portal.post("/portal/sign-in", Map.of("username", other.username(), "key", other.key())).statusCode())
        .isEqualTo(303);

    // The rotated key waits in the store for the next page: sealed, as is everything else.
    String stored = tables("web_sessions", "web_session_flash");
    assertThat(stored).contains("admin-token").contains(other.username());
    assertThat(stored).doesNotContain(cookie(console, "turnstile_console")).doesNotContain(csrf)
        .doesNotContain(cookie(portal, "turnstile_portal")).doesNotContain(other.key()).doesNotContain(login.key());
    String rotated = issuedKey(console.get(page).body());
    assertThat(stored).doesNotContain(rotated);
    assertThat(tables("web_session_flash")).as("a flashed key is deleted once shown").doesNotContain("issued");
  }

  @Test
  void portalSessionMadeOnOneReplica_worksOnTheOther_endsEverywhereOnSignOutAndWhenItsKeyIsRotated()
      throws Exception {
    TestTurnstile.Login login = a.license("app", "1.0.0");
    // Each replica judges a portal session by its own snapshot, which follows A's edits within a second.
    awaitKnown(b, login.username());
    Browser onA = new Browser(a.registryUrl());
    onA.get("/portal/sign-in");
    assertThat(onA.post("/portal/sign-in", Map.of("username", login.username(), "key", login.key())).statusCode())
        .isEqualTo(303);
    Browser onB = onA.at(b.registryUrl());
    // B does not hold the session yet: a bundle download from the portal finds it in the store. The
    // upstream has no such manifest, so a found session gets the registry's 404, a missing one 401.
    String bundle = "/portal/bundles/" + login.username() + "?version=1.0.0";
    assertThat(onB.get(bundle).statusCode()).as("a portal bundle on B with A's session").isEqualTo(404);
    HttpResponse<String> home = onB.get("/portal/");
    assertThat(home.statusCode()).isEqualTo(200);
    assertThat(home.body()).contains(login.username());
    // A pull token made through B is shown once, by whichever replica serves the next page.
    assertThat(onB.post("/portal/tokens", Map.of("license", login.username(), "name", "ci")).statusCode())
        .isEqualTo(303);
    String shown = onA.get("/portal/").body();
    assertThat(shown).contains("tpt_");
    assertThat(onB.get("/portal/").body()).doesNotContain("tpt_");

    String id = cookie(onA, "turnstile_portal");
    assertThat(onB.post("/portal/sign-out", Map.of()).statusCode()).isEqualTo(303);
    Instant signedOut = Instant.now();
    Browser stolen = new Browser(a.registryUrl());
    stolen.cookies.getCookieStore().add(null, sessionCookie("turnstile_portal", id, "/portal"));
    Duration took = awaitRefused(stolen, "/portal/", signedOut);
    assertThat(took).as("portal sign-out on B refused on A after %d ms", took.toMillis())
        .isLessThan(Duration.ofSeconds(1));
    assertThat(stolen.get(bundle).statusCode()).as("a portal bundle with an ended session").isEqualTo(401);

    // A session both replicas hold ends on both when its key is rotated.
    Browser again = new Browser(b.registryUrl());
    again.get("/portal/sign-in");
    again.post("/portal/sign-in", Map.of("username", login.username(), "key", login.key()));
    assertThat(again.get("/portal/").statusCode()).isEqualTo(200);
    assertThat(again.at(a.registryUrl()).get("/portal/").statusCode()).isEqualTo(200);
    a.admin("POST", "/admin/v1/licenses/" + login.username() + "/key", null);
    Instant rotated = Instant.now();
    awaitRefused(again.at(b.registryUrl()), "/portal/", rotated);
    awaitRefused(again.at(a.registryUrl()), "/portal/", rotated);
  }

  @Test
  void duringADatabaseOutage_aSessionThisReplicaHoldsGoesOn_andWhatNeedsTheDatabaseIsAClear503() throws Exception {
    TestTurnstile.Login login = a.license("app", "1.0.0");
    awaitKnown(b, login.username());
    Browser console = new Browser(a.adminUrl());
    console.get("/console/sign-in");
    assertThat(console.post("/console/sign-in", Map.of("token", TestTurnstile.ADMIN_TOKEN)).statusCode())
        .isEqualTo(303);
    assertThat(console.get("/console/licenses").statusCode()).isEqualTo(200);
    postgres.stop();
    try {
      assertThat(console.get("/console/licenses").statusCode()).as("a session A holds, on A").isEqualTo(200);
      HttpResponse<String> elsewhere = console.at(b.adminUrl()).get("/console/licenses");
      assertThat(elsewhere.statusCode()).as("a session B does not hold, on B").isEqualTo(503);
      assertThat(elsewhere.body()).contains("the database is unreachable");
      assertThat(elsewhere.headers().firstValue("Retry-After")).hasValue("5");
      Browser portal = new Browser(b.registryUrl());
      portal.get("/portal/sign-in");
      HttpResponse<String> signIn = portal.post("/portal/sign-in", Map.of("username", login.username(),
          "key", login.key()));
      assertThat(signIn.statusCode()).as("a portal sign-in, which must write its session").isEqualTo(503);
      assertThat(signIn.body()).contains("the database is unreachable").doesNotContain(login.key());
    } finally {
      postgres.start();
    }
    io.turnstile.store.testing.Eventually.until("B serves A's console session again, the database back",
        () -> console.at(b.adminUrl()).get("/console/licenses").statusCode() == 200);
  }

  private static void awaitKnown(TestTurnstile replica, String licenseId) {
    Instant deadline = Instant.now().plus(PATIENCE);
    while (replica.server.store().snapshot().license(new io.turnstile.store.LicenseId(licenseId)) == null) {
      assertThat(Instant.now()).as("%s to reach the other replica", licenseId).isBefore(deadline);
      Thread.onSpinWait();
    }
  }

  /** Asks for {@code path} until it redirects to sign-in; answers how long after {@code since} that was. */
  private static Duration awaitRefused(Browser browser, String path, Instant since) throws Exception {
    Instant deadline = Instant.now().plus(PATIENCE);
    while (Instant.now().isBefore(deadline)) {
      HttpResponse<String> r = browser.get(path);
      if (r.statusCode() == 303) {
        assertThat(r.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).contains("sign-in"));
        return Duration.between(since, Instant.now());
      }
      assertThat(r.statusCode()).isEqualTo(200);
      Thread.onSpinWait();
    }
    throw new AssertionError(path + " still open " + PATIENCE + " after the session ended");
  }

  private static String csrfOf(Browser browser, String path) throws Exception {
    assertThat(browser.get(path).statusCode()).isEqualTo(200);
    String csrf = browser.csrf();
    assertThat(csrf).isNotNull();
    return csrf;
  }

  private static String issuedKey(String page) {
    Matcher m = ISSUED_KEY.matcher(page);
    assertThat(m.find()).as("the page shows the issued key").isTrue();
    return m.group(1);
  }

  private static String cookie(Browser browser, String name) {
    return browser.cookies.getCookieStore().getCookies().stream().filter(c -> c.getName().equals(name))
        .map(HttpCookie::getValue).findFirst().orElseThrow();
  }

  private static HttpCookie sessionCookie(String name, String value, String path) {
    HttpCookie c = new HttpCookie(name, value);
    c.setPath(path);
    c.setDomain("127.0.0.1");
    c.setVersion(0);
    return c;
  }

  private String tables(String... names) throws Exception {
    StringBuilder sb = new StringBuilder();
    try (Connection c = DriverManager.getConnection(db, TestPostgres.USER, ""); Statement s = c.createStatement()) {
      for (String table : List.of(names)) {
        try (ResultSet rs = s.executeQuery("select t::text from " + table + " t")) {
          while (rs.next()) {
            sb.append(rs.getString(1)).append('\n');
          }
        }
      }
    }
    return sb.toString();
  }
}
