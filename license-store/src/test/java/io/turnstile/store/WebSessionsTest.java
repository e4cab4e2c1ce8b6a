package io.turnstile.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.turnstile.store.testing.MutableClock;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WebSessionsTest {
  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(StoreFixture.T0);
  private LicenseStore store;
  private WebSessions sessions;

  @BeforeEach
  void open() throws Exception {
    store = StoreFixture.open(dir, clock);
    sessions = store.webSessions();
  }

  @AfterEach
  void close() {
    store.close();
  }

  @Test
  void aStartedSession_isFoundByItsId_inItsAreaOnly_withItsCsrfToken() {
    sessions.start("console", "id-1", "csrf-1", "{\"who\":\"alice\"}", "alice", 4);
    WebSessions.Stored s = sessions.find("console", "id-1");
    assertThat(s.principal()).isEqualTo("{\"who\":\"alice\"}");
    assertThat(s.csrf()).isEqualTo("csrf-1");
    assertThat(s.lastSeenAt()).isEqualTo(StoreFixture.T0);
    assertThat(sessions.find("portal", "id-1")).as("a console id never opens the portal").isNull();
    assertThat(sessions.find("console", "id-2")).isNull();
  }

  @Test
  void anEndedSession_isNotFound_andListenersHearItsHash() {
    List<Set<String>> heard = new CopyOnWriteArrayList<>();
    sessions.onEnded(heard::add);
    sessions.start("portal", "id-1", "csrf", "p", "cred", 4);
    sessions.end(List.of("id-1"), "portal:lic_1", "portal session signed out");
    assertThat(sessions.find("portal", "id-1")).isNull();
    assertThat(heard).anySatisfy(h -> assertThat(h).contains(WebSessions.hash("id-1")));
    assertThat(store.activity().find(new ActivityQuery(null, null, null, null, null, 10, null)).records())
        .anySatisfy(r -> assertThat(r.action()).isEqualTo("session.ended"));
  }

  @Test
  void anOwnerBeyondItsBound_endsItsLeastRecentlyUsedSession_only() {
    sessions.start("portal", "other", "c", "p", "cred-b", 2);
    sessions.start("portal", "old", "c", "p", "cred-a", 2);
    clock.advance(Duration.ofSeconds(1));
    sessions.start("portal", "mid", "c", "p", "cred-a", 2);
    clock.advance(Duration.ofSeconds(1));
    sessions.start("portal", "new", "c", "p", "cred-a", 2);
    assertThat(sessions.find("portal", "old")).isNull();
    assertThat(sessions.find("portal", "mid")).isNotNull();
    assertThat(sessions.find("portal", "new")).isNotNull();
    assertThat(sessions.find("portal", "other")).isNotNull();
  }

  @Test
  void aFlashedValue_isHandedOutOnce_andSealedAtRest_asAreTheIdAndCsrfToken() throws Exception {
    sessions.start("console", "the-session-id", "the-csrf-token", "p", "o", 4);
    sessions.flash("the-session-id", "issued", "{\"key\":\"the-secret-key\"}");
    List<String> stored = new ArrayList<>();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("turnstile.db"))) {
      for (String table : List.of("web_sessions", "web_session_flash")) {
        try (ResultSet r = c.createStatement().executeQuery("SELECT * FROM " + table)) {
          while (r.next()) {
            for (int i = 1; i <= r.getMetaData().getColumnCount(); i++) {
              stored.add(r.getString(i));
            }
          }
        }
      }
    }
    assertThat(String.join("\n", stored)).doesNotContain("the-session-id").doesNotContain("the-csrf-token")
        .doesNotContain("the-secret-key").contains(WebSessions.hash("the-session-id"));
    assertThat(sessions.take("the-session-id", "issued")).isEqualTo("{\"key\":\"the-secret-key\"}");
    assertThat(sessions.take("the-session-id", "issued")).isNull();
    assertThat(sessions.take("another-id", "issued")).isNull();
  }

  @Test
  void aUse_isWrittenInABatch_andCountsBeforeItIs() {
    sessions.start("console", "id-1", "c", "p", "o", 4);
    clock.advance(Duration.ofMinutes(10));
    sessions.seen("id-1", clock.instant());
    assertThat(sessions.find("console", "id-1").lastSeenAt()).isEqualTo(clock.instant());
  }
}
