package io.turnstile.proxy.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.turnstile.proxy.oci.RegistryError;
import io.turnstile.proxy.oci.RegistryException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.Test;

class RateLimitsTest {
  private static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");

  /** A clock the test moves. */
  private static final class Hands extends Clock {
    Instant at = NOW;

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
      return at;
    }
  }

  @Test
  void retryAfter_inSecondsOrAsAnHttpDate_isHonoured_andNonsenseOrNoneWaitsASecond() {
    assertThat(RateLimits.wait("120", NOW)).isEqualTo(Duration.ofSeconds(120));
    String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.ofInstant(NOW.plusSeconds(90), ZoneOffset.UTC));
    assertThat(RateLimits.wait(date, NOW)).isEqualTo(Duration.ofSeconds(90));
    assertThat(RateLimits.wait("soon", NOW)).isEqualTo(RateLimits.DEFAULT_WAIT);
    assertThat(RateLimits.wait(null, NOW)).isEqualTo(RateLimits.DEFAULT_WAIT);
    assertThat(RateLimits.wait("-5", NOW)).isEqualTo(RateLimits.DEFAULT_WAIT);
    String past = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.ofInstant(NOW.minusSeconds(5), ZoneOffset.UTC));
    assertThat(RateLimits.wait(past, NOW)).isZero();
    assertThat(RateLimits.wait("99999999", NOW)).isEqualTo(RateLimits.LONGEST_WAIT);
  }

  @Test
  void after429_callsToThatUpstreamAreHeldBack_untilRetryAfterHasPassed_withTheTimeLeft() {
    Hands clock = new Hands();
    RateLimits limits = new RateLimits(clock);
    assertThat(limits.heldBack("vendor")).isNull();

    limits.limited("vendor", "30");
    RegistryException held = limits.heldBack("vendor");
    assertThat(held.error()).isEqualTo(RegistryError.TOO_MANY_REQUESTS);
    assertThat(held.headers()).containsEntry("Retry-After", "30");
    assertThat(limits.heldBack("other")).as("another upstream is not held back").isNull();

    clock.at = NOW.plusMillis(29_500);
    assertThat(limits.heldBack("vendor").headers()).containsEntry("Retry-After", "1");
    clock.at = NOW.plusSeconds(30);
    assertThat(limits.heldBack("vendor")).isNull();
  }

  @Test
  void aShorterRetryAfterLater_doesNotShortenTheWait() {
    Hands clock = new Hands();
    RateLimits limits = new RateLimits(clock);
    limits.limited("vendor", "60");
    limits.limited("vendor", "5");
    clock.at = NOW.plusSeconds(10);
    assertThat(limits.heldBack("vendor")).isNotNull();
  }
}
