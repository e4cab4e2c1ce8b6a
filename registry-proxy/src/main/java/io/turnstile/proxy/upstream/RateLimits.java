package io.turnstile.proxy.upstream;

import io.turnstile.proxy.oci.RegistryError;
import io.turnstile.proxy.oci.RegistryException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The rate limits upstreams announced: after a 429, no call goes to that upstream before its
 * {@code Retry-After} (seconds or an HTTP date) has passed; each call meanwhile fails at once with
 * a 429 carrying the time left, which the caller answers from what it keeps or passes on. A 429
 * without a readable {@code Retry-After} holds calls back for {@link #DEFAULT_WAIT}; no wait is
 * longer than {@link #LONGEST_WAIT}, whatever the upstream says.
 */
final class RateLimits {
  static final Duration DEFAULT_WAIT = Duration.ofSeconds(1);
  static final Duration LONGEST_WAIT = Duration.ofHours(24);

  private final Clock clock;
  /** Upstream name to the instant before which it is not called. */
  private final Map<String, Instant> notBefore = new ConcurrentHashMap<>();

  RateLimits(Clock clock) {
    this.clock = clock;
  }

  /** {@code upstream} answered 429 with {@code retryAfter} (may be null). */
  void limited(String upstream, String retryAfter) {
    Instant now = clock.instant();
    Duration wait = wait(retryAfter, now);
    Instant until = now.plus(wait);
    notBefore.merge(upstream, until, (a, b) -> a.isAfter(b) ? a : b);
  }

  /** The failure a call to {@code upstream} gets now without being made; null when it may be made. */
  RegistryException heldBack(String upstream) {
    Instant until = notBefore.get(upstream);
    if (until == null) {
      return null;
    }
    Instant now = clock.instant();
    if (!now.isBefore(until)) {
      notBefore.remove(upstream, until);
      return null;
    }
    long seconds = Math.max(1, (Duration.between(now, until).toMillis() + 999) / 1000);
    return new RegistryException(RegistryError.TOO_MANY_REQUESTS,
        "the upstream registry is rate limiting Turnstile; it is asked again in " + seconds + " s")
        .withHeader("Retry-After", Long.toString(seconds));
  }

  /** How long {@code retryAfter} asks to wait from {@code now}, within the bounds. */
  static Duration wait(String retryAfter, Instant now) {
    Duration asked = DEFAULT_WAIT;
    if (retryAfter != null && !retryAfter.isBlank()) {
      String v = retryAfter.trim();
      try {
        asked = v.chars().allMatch(Character::isDigit) && v.length() <= 9
            ? Duration.ofSeconds(Long.parseLong(v))
            : Duration.between(now, ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
      } catch (DateTimeParseException | NumberFormatException e) {
        asked = DEFAULT_WAIT;
      }
    }
    if (asked.isNegative()) {
      return Duration.ZERO;
    }
    return asked.compareTo(LONGEST_WAIT) > 0 ? LONGEST_WAIT : asked;
  }
}
