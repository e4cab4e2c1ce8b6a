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
import io.turnstile.store.testing.PostgresServer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two replicas on one PostgreSQL database: a portal page open on B follows an edit made through A
 * within one second, and a key rotated through A ends B's portal session.
 */
class PortalReplicasIT {
  @RegisterExtension
  static WireMockExtension upstream = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

  @RegisterExtension static final PostgresServer postgres = new PostgresServer();
  @TempDir Path dir;
  private TestTurnstile a;
  private TestTurnstile b;

  /** How long a wait may last: generous, so a busy machine changes no outcome; bounds are checked apart. */
  private static final Duration PATIENCE = Duration.ofSeconds(30);

  @BeforeEach
  void start() throws Exception {
    // The upstream's tags, which the page lists in the background to offer only real versions.
    for (String repository : new String[] {"org/app", "org/charts/app"}) {
      upstream.stubFor(get(urlPathEqualTo("/v2/" + repository + "/tags/list")).willReturn(
          okJson("{\"name\":\"" + repository + "\",\"tags\":[\"1.0.0\",\"2.0.0\"]}")));
    }
    String db = postgres.newDatabase();
    a = TestTurnstile.replica(dir, upstream.baseUrl(), db, "2s");
    b = TestTurnstile.replica(dir, upstream.baseUrl(), db, "2s");
  }

  @AfterEach
  void stop() {
    a.close();
    b.close();
  }

  @Test
  void anEditThroughOneReplica_reachesAPortalStreamOnTheOther_andARotationEndsItsSession() throws Exception {
    TestTurnstile.Login login = a.license("app", "1.0.0");
    Browser browser = new Browser(b.registryUrl());
    browser.get("/portal/sign-in");
    assertThat(browser.post("/portal/sign-in", Map.of("username", login.username(), "key", login.key())).statusCode())
        .isEqualTo(303);
    try (EventStream events = EventStream.open(browser, "/portal/events", null)) {
      assertThat(events.next("licenses", PATIENCE)).doesNotContain("2.0.0");
      a.admin("POST", "/admin/v1/licenses/" + login.username() + "/versions", "{\"versions\":[\"2.0.0\"]}");
      assertThat(events.next("licenses", PATIENCE)).contains("2.0.0");
      a.assertWithinASecondOfTheEdit(login.username(), Instant.now(), "the grant");
      a.admin("POST", "/admin/v1/licenses/" + login.username() + "/key", null);
      assertThat(events.next("ended", PATIENCE)).contains("rotated");
      a.assertWithinASecondOfTheEdit(login.username(), Instant.now(), "the rotation");
    }
    assertThat(browser.get("/portal/").statusCode()).isEqualTo(303);
  }
}
