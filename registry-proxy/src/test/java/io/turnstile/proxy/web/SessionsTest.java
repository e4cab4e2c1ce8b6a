package io.turnstile.proxy.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class SessionsTest {
  /** A clock the test moves. */
  private static final class TestClock extends Clock {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  private final TestClock clock = new TestClock();
  private final Sessions<String> sessions = new Sessions<>(Duration.ofMinutes(30), 3, clock);

  @Test
  void aSession_hasRandomIdAndCsrfToken_distinctFromEachOther() {
    Sessions.Session<String> a = sessions.start("a");
    Sessions.Session<String> b = sessions.start("b");
    assertThat(a.id()).hasSizeGreaterThanOrEqualTo(43).isNotEqualTo(b.id()).isNotEqualTo(a.csrf());
    assertThat(a.csrf()).isNotEqualTo(b.csrf());
    assertThat(sessions.find(a.id()).principal()).isEqualTo("a");
  }

  @Test
  void aSessionUnusedForTheIdleTime_ends_whileOneInUseLivesOn() {
    Sessions.Session<String> used = sessions.start("used");
    Sessions.Session<String> idle = sessions.start("idle");
    clock.now = clock.now.plus(Duration.ofMinutes(20));
    assertThat(sessions.find(used.id())).isNotNull();
    clock.now = clock.now.plus(Duration.ofMinutes(20));
    assertThat(sessions.find(idle.id())).isNull();
    assertThat(sessions.find(used.id())).as("used 20 minutes ago").isNotNull();
    assertThat(sessions.isLive(idle.id())).isFalse();
  }

  @Test
  void isLive_doesNotKeepASessionAlive() {
    Sessions.Session<String> s = sessions.start("s");
    clock.now = clock.now.plus(Duration.ofMinutes(29));
    assertThat(sessions.isLive(s.id())).isTrue();
    clock.now = clock.now.plus(Duration.ofMinutes(2));
    assertThat(sessions.isLive(s.id())).isFalse();
  }

  @Test
  void endIf_endsEveryMatchingSessionAtOnce() {
    Sessions.Session<String> a1 = sessions.start("key-a");
    Sessions.Session<String> a2 = sessions.start("key-a");
    Sessions.Session<String> b = sessions.start("key-b");
    assertThat(sessions.endIf("key-a"::equals)).hasSize(2);
    assertThat(sessions.find(a1.id())).isNull();
    assertThat(sessions.find(a2.id())).isNull();
    assertThat(sessions.find(b.id())).isNotNull();
  }

  @Test
  void csrf_matchesOnlyTheSessionsOwnToken() {
    Sessions.Session<String> a = sessions.start("a");
    Sessions.Session<String> b = sessions.start("b");
    assertThat(a.csrfMatches(a.csrf())).isTrue();
    assertThat(a.csrfMatches(b.csrf())).isFalse();
    assertThat(a.csrfMatches(null)).isFalse();
    assertThat(a.csrfMatches("")).isFalse();
  }

  @Test
  void aFlashedValue_isHandedOutOnce() {
    Sessions.Session<String> s = sessions.start("s");
    s.flash("notice", "saved");
    assertThat(s.take("notice", String.class)).isEqualTo("saved");
    assertThat(s.take("notice", String.class)).isNull();
  }

  @Test
  void beyondTheCap_theLeastRecentlyUsedSessionEnds() {
    Sessions.Session<String> oldest = sessions.start("1");
    clock.now = clock.now.plusSeconds(1);
    sessions.start("2");
    clock.now = clock.now.plusSeconds(1);
    sessions.start("3");
    clock.now = clock.now.plusSeconds(1);
    sessions.start("4");
    assertThat(sessions.size()).isEqualTo(3);
    assertThat(sessions.find(oldest.id())).isNull();
  }

  @Test
  void signOut_endsTheSession() {
    Sessions.Session<String> s = sessions.start("s");
    sessions.end(s.id());
    assertThat(sessions.find(s.id())).isNull();
  }
}
