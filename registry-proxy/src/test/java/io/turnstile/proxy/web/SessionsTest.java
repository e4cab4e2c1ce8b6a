package io.turnstile.proxy.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.turnstile.store.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class SessionsTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
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
    clock.advance(Duration.ofMinutes(20));
    assertThat(sessions.find(used.id())).isNotNull();
    clock.advance(Duration.ofMinutes(20));
    assertThat(sessions.find(idle.id())).isNull();
    assertThat(sessions.find(used.id())).as("used 20 minutes ago").isNotNull();
    assertThat(sessions.isLive(idle.id())).isFalse();
  }

  @Test
  void isLive_doesNotKeepASessionAlive() {
    Sessions.Session<String> s = sessions.start("s");
    clock.advance(Duration.ofMinutes(29));
    assertThat(sessions.isLive(s.id())).isTrue();
    clock.advance(Duration.ofMinutes(2));
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
    clock.advance(Duration.ofSeconds(1));
    sessions.start("2");
    clock.advance(Duration.ofSeconds(1));
    sessions.start("3");
    clock.advance(Duration.ofSeconds(1));
    sessions.start("4");
    assertThat(sessions.size()).isEqualTo(3);
    assertThat(sessions.find(oldest.id())).isNull();
  }

  @Test
  void anOwnerBeyondItsBound_pushesOutOnlyItsOwnLeastRecentlyUsedSession() {
    // Owner: the principal's first letter. At most 2 per owner, 10 in all.
    Sessions<String> byLetter = new Sessions<>(Duration.ofMinutes(30), 10, 2, p -> p.charAt(0), clock);
    Sessions.Session<String> other = byLetter.start("b");
    Sessions.Session<String> first = byLetter.start("a1");
    clock.advance(Duration.ofSeconds(1));
    Sessions.Session<String> second = byLetter.start("a2");
    clock.advance(Duration.ofSeconds(1));
    assertThat(byLetter.find(first.id())).as("used again, so no longer the least recently used").isNotNull();
    Sessions.Session<String> third = byLetter.start("a3");
    assertThat(byLetter.find(second.id())).isNull();
    assertThat(byLetter.find(first.id())).isNotNull();
    assertThat(byLetter.find(third.id())).isNotNull();
    assertThat(byLetter.find(other.id())).isNotNull();
    assertThat(byLetter.size()).isEqualTo(3);
  }

  @Test
  void anEndedSession_freesItsPlaceUnderItsOwnersBound() {
    Sessions<String> byLetter = new Sessions<>(Duration.ofMinutes(30), 10, 2, p -> p.charAt(0), clock);
    Sessions.Session<String> a1 = byLetter.start("a1");
    Sessions.Session<String> a2 = byLetter.start("a2");
    byLetter.end(a2.id());
    byLetter.start("a3");
    assertThat(byLetter.find(a1.id())).as("a2's place was free").isNotNull();
  }

  @Test
  void idleSessions_endWhenANewOneStarts() {
    sessions.start("idle");
    clock.advance(Duration.ofMinutes(31));
    Sessions.Session<String> fresh = sessions.start("fresh");
    assertThat(sessions.size()).isEqualTo(1);
    assertThat(sessions.find(fresh.id())).isNotNull();
  }

  @Test
  void badBounds_areRefused() {
    assertThatThrownBy(() -> new Sessions<String>(Duration.ofMinutes(1), 0, clock))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1");
    assertThatThrownBy(() -> new Sessions<String>(Duration.ofMinutes(1), 10, 0, p -> p, clock))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("perOwner");
    assertThatThrownBy(() -> new Sessions<String>(Duration.ZERO, 10, clock))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("idle");
  }

  @Test
  void signOut_endsTheSession() {
    Sessions.Session<String> s = sessions.start("s");
    sessions.end(s.id());
    assertThat(sessions.find(s.id())).isNull();
  }
}
