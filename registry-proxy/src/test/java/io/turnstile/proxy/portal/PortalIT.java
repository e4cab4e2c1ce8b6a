package io.turnstile.proxy.portal;

import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.turnstile.proxy.testing.Browser;
import io.turnstile.proxy.testing.EventStream;
import io.turnstile.proxy.testing.TestTurnstile;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The customer portal on a real Turnstile: sign-in as for docker login, the live stream, sessions ending. */
class PortalIT {
  /** How long a wait may last: generous, so a busy machine changes no outcome; bounds are checked apart. */
  private static final Duration PATIENCE = Duration.ofSeconds(30);

  @RegisterExtension
  static WireMockExtension upstream = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

  @TempDir Path dir;
  private TestTurnstile ts;
  private Browser browser;
  private TestTurnstile.Login login;
  private final List<EventStream> open = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    // The upstream's tags, which the page lists in the background to offer only real versions.
    upstreamTags();
    ts = new TestTurnstile(dir, upstream.baseUrl());
    browser = new Browser(ts.registryUrl());
    login = ts.license("app", "1.0.0");
  }

  @AfterEach
  void stop() {
    open.forEach(EventStream::close);
    ts.close();
  }

  private HttpResponse<String> signIn(String username, String key) throws Exception {
    browser.get("/portal/sign-in");
    return browser.post("/portal/sign-in", Map.of("username", username, "key", key));
  }

  private EventStream events(String lastEventId) throws Exception {
    return events("/portal/events", lastEventId);
  }

  private EventStream events(String path, String lastEventId) throws Exception {
    EventStream s = EventStream.open(browser, path, lastEventId);
    open.add(s);
    return s;
  }

  private static final Pattern STREAM = Pattern.compile("data-stream=\"([^\"]+)\"");

  /** The address of the live stream the page names. */
  private static String streamOf(String page) {
    Matcher m = STREAM.matcher(page);
    assertThat(m.find()).as("the page names its stream").isTrue();
    return m.group(1);
  }

  @Test
  void signIn_withTheLicenseKey_showsTheGrantedVersionsAndCommands() throws Exception {
    HttpResponse<String> r = signIn(login.username(), login.key());
    assertThat(r.statusCode()).isEqualTo(303);
    String cookie = r.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith("turnstile_portal="))
        .findFirst().orElseThrow();
    assertThat(cookie).contains("HttpOnly").contains("SameSite=Strict").contains("Path=/portal");
    String page = browser.get("/portal/").body();
    assertThat(page).contains("1.0.0")
        .contains("docker pull registry.test:5443/vendor/app:1.0.0")
        // The public URL is plain http: Helm must be told, or it tries https and fails.
        .contains("helm pull oci://registry.test:5443/charts/app --version 1.0.0 --plain-http")
        .contains("helm registry login registry.test:5443 -u " + login.username() + " --plain-http")
        .contains("Helm 3 logs in with <code>--insecure</code>")
        .contains("docker login registry.test:5443 -u " + login.username())
        .contains("imagePullSecrets")
        .doesNotContain(login.key());
  }

  @Test
  void headOfTheEventStream_opensNoStream() throws Exception {
    signIn(login.username(), login.key());
    // A stream would hold the answer open for good; HEAD is answered at once, as any page.
    HttpResponse<String> head = browser.client().send(java.net.http.HttpRequest.newBuilder(
        java.net.URI.create(browser.base() + "/portal/events")).method("HEAD", java.net.http.HttpRequest.BodyPublishers.noBody())
        .timeout(PATIENCE).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(head.headers().firstValue("Content-Type").orElse("")).doesNotContain("text/event-stream");
  }

  @Test
  void wrongKey_startsNoSession() throws Exception {
    HttpResponse<String> r = signIn(login.username(), "tsk_wrong");
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().allValues("Set-Cookie")).noneMatch(c -> c.startsWith("turnstile_portal="));
    assertThat(browser.get("/portal/").statusCode()).isEqualTo(303);
  }

  @Test
  void aCustomerKey_showsEveryLicenseOfTheCustomer() throws Exception {
    String key = ts.admin("POST", "/admin/v1/customers/" + login.customer() + "/keys", null).body().get("key").asText();
    String other = ts.admin("POST", "/admin/v1/licenses", "{\"customerId\":\"" + login.customer()
        + "\",\"application\":\"tool\",\"versions\":[\"2.0.0\"]}").body().get("id").asText();
    signIn(login.customer(), key);
    String page = browser.get("/portal/").body();
    assertThat(page).contains(login.username()).contains(other).contains("registry.test:5443/vendor/tool:v2.0.0");
  }

  @Test
  void aFormWithoutTheCsrfToken_isRefused() throws Exception {
    signIn(login.username(), login.key());
    browser.get("/portal/");
    assertThat(browser.postRaw("/portal/sign-out", Map.of()).statusCode()).isEqualTo(403);
    assertThat(browser.get("/portal/").statusCode()).as("still signed in").isEqualTo(200);
  }

  @Test
  void aGrantByTheVendor_reachesTheOpenStreamWithinOneSecond() throws Exception {
    signIn(login.username(), login.key());
    EventStream events = events(null);
    String first = events.next("licenses", PATIENCE);
    assertThat(first).contains("1.0.0").doesNotContain("2.0.0");
    ts.admin("POST", "/admin/v1/licenses/" + login.username() + "/versions", "{\"versions\":[\"2.0.0\"]}");
    String update = events.next("licenses", PATIENCE);
    ts.assertWithinASecondOfTheEdit(login.username(), Instant.now(), "the grant");
    assertThat(update).contains("2.0.0").contains("docker pull registry.test:5443/vendor/app:2.0.0");
  }

  private void upstreamTags() {
    String tags = "[\"1.0.0\",\"1.1.0\",\"2.0.0\",\"2.1.0\",\"2.2.0-rc.1\",\"3.0.0\",\"latest\"]";
    upstream.stubFor(get(urlPathEqualTo("/v2/org/app/tags/list"))
        .willReturn(okJson("{\"name\":\"org/app\",\"tags\":" + tags + "}")));
    upstream.stubFor(get(urlPathEqualTo("/v2/org/charts/app/tags/list"))
        .willReturn(okJson("{\"name\":\"org/charts/app\",\"tags\":" + tags + "}")));
  }

  /** The page once it shows {@code text}: the upstream's tags are listed in the background. */
  private String pageShowing(String text) throws Exception {
    long end = System.nanoTime() + PATIENCE.toNanos();
    String page = browser.get("/portal/").body();
    while (!page.contains(text) && System.nanoTime() < end) {
      Thread.sleep(50);
      page = browser.get("/portal/").body();
    }
    return page;
  }

  @Test
  void aRangeGrant_showsItsKind_andTheVersionsItGrantsAtTheUpstream() throws Exception {
    upstreamTags();
    ts.admin("POST", "/admin/v1/licenses/" + login.username() + "/ranges", "{\"ranges\":[\"2.x\"]}");
    signIn(login.username(), login.key());
    String page = pageShowing("docker pull registry.test:5443/vendor/app:2.1.0");
    assertThat(page).contains("1.0.0, 2.x (range)").contains("data-range=\"2.x\" data-kind=\"range\"")
        .contains("docker pull registry.test:5443/vendor/app:2.1.0")
        .contains("docker pull registry.test:5443/vendor/app:2.0.0")
        .contains("helm pull oci://registry.test:5443/charts/app --version 2.1.0")
        .doesNotContain("vendor/app:2.2.0-rc.1").doesNotContain("vendor/app:3.0.0").doesNotContain("vendor/app:1.1.0")
        .doesNotContain("vendor/app:latest");
    ts.admin("POST", "/admin/v1/licenses/" + login.username() + "/ranges",
        "{\"ranges\":[{\"range\":\"2.x\",\"includePrerelease\":true},\"*\"]}");
    page = pageShowing("vendor/app:latest");
    assertThat(page).contains("2.x (range + pre-releases)").contains("* (all versions)")
        .contains("docker pull registry.test:5443/vendor/app:2.2.0-rc.1")
        .contains("docker pull registry.test:5443/vendor/app:latest");
  }

  @Test
  void anExactVersionARepositoryDoesNotHave_isShownAsNotReleasedThere_notAsACommand() throws Exception {
    upstream.stubFor(get(urlPathEqualTo("/v2/org/app/tags/list"))
        .willReturn(okJson("{\"name\":\"org/app\",\"tags\":[\"1.0.0\",\"1.1.0\"]}")));
    upstream.stubFor(get(urlPathEqualTo("/v2/org/charts/app/tags/list"))
        .willReturn(okJson("{\"name\":\"org/charts/app\",\"tags\":[\"1.0.0\"]}")));
    ts.admin("POST", "/admin/v1/licenses/" + login.username() + "/versions", "{\"versions\":[\"1.1.0\"]}");
    signIn(login.username(), login.key());
    String page = pageShowing("not released in this repository");
    assertThat(page).contains("docker pull registry.test:5443/vendor/app:1.1.0")
        .contains("helm pull oci://registry.test:5443/charts/app --version 1.0.0")
        .contains("data-not-released=\"charts/app\"")
        .doesNotContain("helm pull oci://registry.test:5443/charts/app --version 1.1.0");
    assertThat(page.split("not released in this repository", -1)).as("once: only 1.1.0 in charts/app").hasSize(2);
  }

  @Test
  void aRangeGrantingNothingYet_showsTheRange_andSaysSo() throws Exception {
    // The upstream has no tags inside it: the range is shown, and that nothing is inside it yet.
    ts.admin("POST", "/admin/v1/licenses/" + login.username() + "/ranges", "{\"ranges\":[\"~2.4.0\"]}");
    signIn(login.username(), login.key());
    String page = browser.get("/portal/").body();
    assertThat(page).contains("~2.4.0 (range)").contains("data-kind=\"range\"");
    page = pageShowing("No version at the upstream is inside this range yet");
    assertThat(page).contains("No version at the upstream is inside this range yet");
  }

  @Test
  void aLiveRangeGrant_reachesTheOpenStream_thenTheVersionsItGrants() throws Exception {
    upstreamTags();
    signIn(login.username(), login.key());
    EventStream events = events(null);
    assertThat(events.next("licenses", PATIENCE)).doesNotContain("(range)");
    ts.admin("POST", "/admin/v1/licenses/" + login.username() + "/ranges", "{\"ranges\":[\"2.x\"]}");
    String update = events.next("licenses", PATIENCE);
    ts.assertWithinASecondOfTheEdit(login.username(), Instant.now(), "the range");
    assertThat(update).contains("1.0.0, 2.x (range)");
    long end = System.nanoTime() + PATIENCE.toNanos();
    while (!update.contains("vendor/app:2.1.0") && System.nanoTime() < end) {
      update = events.next("licenses", Duration.ofNanos(Math.max(1, end - System.nanoTime())));
      if (update == null) {
        break;
      }
    }
    assertThat(update).as("the versions 2.x grants at the upstream, once listed")
        .contains("docker pull registry.test:5443/vendor/app:2.1.0").doesNotContain("vendor/app:3.0.0");
  }

  @Test
  void anExpiredLicense_keepingWhatWasReleasedBefore_saysSo_andOffersOnlyTagsSeenBeforeItsExpiry() throws Exception {
    signIn(login.username(), login.key());
    ts.admin("PATCH", "/admin/v1/licenses/" + login.username(),
        "{\"expiresAt\":\"2020-01-01\",\"keepReleasedBeforeExpiry\":true}");
    String page = browser.get("/portal/").body();
    assertThat(page).contains("the versions released before then can still be pulled")
        .doesNotContain("pulls with it are refused")
        .as("1.0.0 was never seen before the expiry").doesNotContain("vendor/app:1.0.0");
  }

  @Test
  void aStreamOpenedFromThePage_sendsNoLicensesUntilSomethingChanges() throws Exception {
    signIn(login.username(), login.key());
    EventStream events = events(streamOf(browser.get("/portal/").body()), null);
    assertThat(events.nextEvent(PATIENCE)).startsWith("retry:");
    ts.admin("POST", "/admin/v1/licenses/" + login.username() + "/versions", "{\"versions\":[\"2.0.0\"]}");
    assertThat(events.nextEvent(PATIENCE)).as("the first view the stream sends: after the edit")
        .contains("event: licenses\n").contains("docker pull registry.test:5443/vendor/app:2.0.0");
  }

  @Test
  void thePage_carriesTheDigestOfTheSectionTheStreamWouldSend() throws Exception {
    signIn(login.username(), login.key());
    String stream = streamOf(browser.get("/portal/").body());
    assertThat(stream).startsWith("/portal/events?since=");
    String sent = events(null).next("licenses", PATIENCE);
    assertThat(stream).endsWith("?since=" + EventStream.id(sent));
  }

  @Test
  void theLastEventId_winsOverThePagesDigest() throws Exception {
    signIn(login.username(), login.key());
    EventStream events = events(streamOf(browser.get("/portal/").body()), "000000000000000000000000");
    assertThat(events.next("licenses", PATIENCE)).contains("1.0.0");
  }

  @Test
  void aStreamWithAMalformedSince_isRefusedWithAClearError() throws Exception {
    signIn(login.username(), login.key());
    EventStream.Refusal r = EventStream.refused(browser, "/portal/events?since=not-a-digest");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.text()).contains("since must be the digest");
  }

  @Test
  void aReconnect_withTheLastEventId_getsOnlyWhatChangedMeanwhile() throws Exception {
    signIn(login.username(), login.key());
    EventStream events = events(null);
    String last = EventStream.id(events.next("licenses", PATIENCE));
    open.forEach(EventStream::close);
    EventStream same = events(last);
    assertThat(same.poll(PATIENCE)).as("retry only").startsWith("retry:");
    assertThat(same.poll(Duration.ofMillis(300))).as("nothing changed, nothing sent").isNull();
    open.forEach(EventStream::close);
    ts.admin("PATCH", "/admin/v1/licenses/" + login.username(), "{\"expiresAt\":\"2099-12-31\"}");
    EventStream caughtUp = events(last);
    assertThat(caughtUp.next("licenses", PATIENCE)).contains("2099-12-31");
  }

  @Test
  void rotatingTheKey_endsTheSession_andItsStreamAtOnce() throws Exception {
    signIn(login.username(), login.key());
    EventStream events = events(null);
    events.next("licenses", PATIENCE);
    ts.admin("POST", "/admin/v1/licenses/" + login.username() + "/key", null);
    assertThat(events.next("ended", PATIENCE)).contains("rotated");
    assertThat(browser.get("/portal/").statusCode()).isEqualTo(303);
  }

  @Test
  void revokingTheLicense_showsItRevoked_thenEndsTheSession() throws Exception {
    signIn(login.username(), login.key());
    EventStream events = events(null);
    events.next("licenses", PATIENCE);
    ts.admin("DELETE", "/admin/v1/licenses/" + login.username(), null);
    assertThat(events.next("licenses", PATIENCE)).contains(">revoked<");
    assertThat(events.next("ended", PATIENCE)).contains("revoked");
    assertThat(browser.get("/portal/").statusCode()).isEqualTo(303);
  }

  @Test
  void signOut_endsTheSessionsOpenStreams_withoutAnotherUpdate() throws Exception {
    signIn(login.username(), login.key());
    EventStream events = events(null);
    events.next("licenses", PATIENCE);
    browser.get("/portal/");
    assertThat(browser.post("/portal/sign-out", Map.of()).statusCode()).isEqualTo(303);
    ts.admin("POST", "/admin/v1/licenses/" + login.username() + "/versions", "{\"versions\":[\"2.0.0\"]}");
    assertThat(events.untilClosed(PATIENCE))
        .anyMatch(e -> e.contains("event: ended\n") && e.contains("signed out"))
        .noneMatch(e -> e.contains("event: licenses\n"));
  }

  @Test
  void aSessionPushedOutByNewerSignInsWithItsKey_endsItsStreamAtTheNextUpdate_withoutShowingIt() throws Exception {
    signIn(login.username(), login.key());
    EventStream events = events(null);
    events.next("licenses", PATIENCE);
    for (int i = 0; i < PortalSessions.MAX_PER_CREDENTIAL; i++) {
      Browser other = new Browser(ts.registryUrl());
      other.get("/portal/sign-in");
      assertThat(other.post("/portal/sign-in", Map.of("username", login.username(), "key", login.key())).statusCode())
          .isEqualTo(303);
    }
    ts.admin("POST", "/admin/v1/licenses/" + login.username() + "/versions", "{\"versions\":[\"2.0.0\"]}");
    assertThat(events.untilClosed(PATIENCE))
        .anyMatch(e -> e.contains("event: ended\n"))
        .noneMatch(e -> e.contains("event: licenses\n"));
    assertThat(browser.get("/portal/").statusCode()).isEqualTo(303);
  }

  @Test
  void aSessionOpensAtMostFourStreams_theFifthIsRefused() throws Exception {
    signIn(login.username(), login.key());
    for (int i = 0; i < LiveUpdates.MAX_PER_SESSION; i++) {
      events(null);
    }
    EventStream.Refusal fifth = EventStream.refused(browser, "/portal/events");
    assertThat(fifth.status()).isEqualTo(429);
    assertThat(fifth.text()).contains("too many live portal pages in this session (at most 4)");
    assertThat(browser.get("/portal/").statusCode()).as("the page itself is served").isEqualTo(200);
  }

  @Test
  void revokingACustomerKey_endsTheSessionsThatUsedIt() throws Exception {
    var issued = ts.admin("POST", "/admin/v1/customers/" + login.customer() + "/keys", null).body();
    signIn(login.customer(), issued.get("key").asText());
    assertThat(browser.get("/portal/").statusCode()).isEqualTo(200);
    ts.admin("DELETE", "/admin/v1/customers/" + login.customer() + "/keys/" + issued.get("keyId").asText(), null);
    assertThat(browser.get("/portal/").statusCode()).isEqualTo(303);
  }

  @Test
  void pullSecret_needsTheKeyAgain_andHoldsIt() throws Exception {
    signIn(login.username(), login.key());
    browser.get("/portal/");
    HttpResponse<String> wrong = browser.post("/portal/pull-secret", Map.of("key", "tsk_nope"));
    assertThat(wrong.statusCode()).isEqualTo(303);
    assertThat(browser.get("/portal/").body()).contains("not the key you signed in with");
    HttpResponse<String> r = browser.post("/portal/pull-secret", Map.of("key", login.key()));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Disposition").orElseThrow()).contains("attachment");
    String config = new String(Base64.getDecoder().decode(ts.json.readTree(r.body()).get("data").get(".dockerconfigjson").asText()));
    assertThat(config).contains("registry.test:5443").contains(login.key());
  }

  @Test
  void theKey_isNeverLogged_norKeptInThePage() throws Exception {
    ch.qos.logback.classic.LoggerContext context =
        (ch.qos.logback.classic.LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logs =
        new ch.qos.logback.core.read.ListAppender<>();
    logs.setContext(context);
    logs.start();
    context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(logs);
    try {
      signIn(login.username(), "tsk_wrong-key-attempt");
      signIn(login.username(), login.key());
      String page = browser.get("/portal/").body();
      browser.post("/portal/pull-secret", Map.of("key", login.key()));
      EventStream events = events(null);
      String update = events.next("licenses", PATIENCE);
      assertThat(page).doesNotContain(login.key());
      assertThat(update).doesNotContain(login.key());
      assertThat(logs.list).extracting(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
          .anyMatch(m -> m.contains("portal sign-in of " + login.username()))
          .noneMatch(m -> m.contains(login.key()))
          .noneMatch(m -> m.contains("tsk_wrong-key-attempt"));
    } finally {
      context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).detachAppender(logs);
    }
  }

  @Test
  void theRegistry_isUntouchedByThePortal() throws Exception {
    assertThat(browser.get("/v2/").statusCode()).isEqualTo(401);
    assertThat(browser.get("/portal/nothing-here").statusCode()).isEqualTo(303);
  }
}
