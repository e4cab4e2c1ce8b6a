package io.turnstile.proxy.portal;

import static org.assertj.core.api.Assertions.assertThat;

import io.turnstile.proxy.web.Sessions;
import io.turnstile.store.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PortalSessionsTest {
  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
  private PortalStore fixture;
  private PortalSessions sessions;

  @BeforeEach
  void open() throws Exception {
    fixture = new PortalStore(dir, clock);
    sessions = new PortalSessions(fixture.store, Portal.DEFAULT_IDLE, clock);
  }

  @AfterEach
  void close() {
    fixture.close();
  }

  @Test
  void oneKeySigningInAgainAndAgain_pushesOutOnlyItsOwnOldestSessions_onEveryReplica() {
    Sessions.Session<PortalUser> a = sessions.start(fixture.customer("A"));
    PortalUser b = fixture.customer("B");
    Sessions.Session<PortalUser> firstOfB = sessions.start(b);
    Sessions.Session<PortalUser> lastOfB = null;
    for (int i = 0; i < 2 * PortalSessions.MAX_PER_CREDENTIAL; i++) {
      clock.advance(Duration.ofMillis(1));
      lastOfB = sessions.start(b);
    }
    assertThat(sessions.find(a.id())).as("the other customer's session").isNotNull();
    assertThat(sessions.find(lastOfB.id())).isNotNull();
    assertThat(sessions.size()).as("A's one and B's newest").isEqualTo(1 + PortalSessions.MAX_PER_CREDENTIAL);
    // Another replica's view of the same store: the bound per key holds there too.
    PortalSessions replica = new PortalSessions(fixture.store, Portal.DEFAULT_IDLE, clock);
    assertThat(replica.find(firstOfB.id())).as("pushed out for every replica").isNull();
    assertThat(replica.find(lastOfB.id())).isNotNull();
    assertThat(replica.find(a.id())).isNotNull();
  }

  @Test
  void theBoundIsPerKey_soAnotherKeyOfTheSameCustomerKeepsItsSessions() {
    PortalUser license = fixture.customer("A");
    Sessions.Session<PortalUser> byCustomerKey = sessions.start(fixture.customerKey(license));
    for (int i = 0; i <= PortalSessions.MAX_PER_CREDENTIAL; i++) {
      sessions.start(license);
    }
    assertThat(sessions.find(byCustomerKey.id())).isNotNull();
  }

  @Test
  void aSessionInUseOnOneReplica_staysLiveForAStreamOnAnother_andEndsThereWhenIdleEverywhere() {
    Sessions.Session<PortalUser> s = sessions.start(fixture.customer("A"));
    PortalSessions other = new PortalSessions(fixture.store, Portal.DEFAULT_IDLE, clock);
    assertThat(other.find(s.id())).as("read from the store").isNotNull();
    clock.advance(Duration.ofMinutes(20));
    assertThat(sessions.find(s.id())).as("used on the first replica").isNotNull();
    clock.advance(Duration.ofMinutes(20));
    assertThat(other.isLiveChecked(s.id())).as("idle on the other, used on the first 20 minutes ago").isTrue();
    clock.advance(Duration.ofMinutes(11));
    assertThat(other.isLiveChecked(s.id())).as("idle everywhere").isFalse();
    assertThat(other.isLive(s.id())).isFalse();
  }
}
