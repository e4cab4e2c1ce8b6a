package io.turnstile.proxy.limits;

import io.turnstile.store.UsageLimit;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.format.TextStyle;
import java.util.Locale;

/**
 * The periods fair-use limits count in, by one clock: UTC calendar days ({@code 2026-12-07}) and
 * months ({@code 2026-12}). Tests pass a clock they move to cross a boundary.
 */
public final class Periods {
  private final Clock clock;

  public Periods(Clock clock) {
    this.clock = clock;
  }

  public Instant now() {
    return clock.instant();
  }

  /** The current period of {@code limit}, as the store keys it. */
  public String current(UsageLimit limit) {
    return period(limit, clock.instant());
  }

  /** The period of {@code limit} that {@code at} falls in. */
  public static String period(UsageLimit limit, Instant at) {
    LocalDate day = LocalDate.ofInstant(at, ZoneOffset.UTC);
    return limit.monthly() ? YearMonth.from(day).toString() : day.toString();
  }

  /** The current UTC day, {@code 2026-12-07}. */
  public String today() {
    return LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC).toString();
  }

  /** The UTC day before {@link #today()}. */
  public String yesterday() {
    return LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC).minusDays(1).toString();
  }

  /** The first day of the next period of {@code limit}: when its use starts again from zero. */
  public LocalDate resetsOn(UsageLimit limit) {
    LocalDate day = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
    return limit.monthly() ? YearMonth.from(day).plusMonths(1).atDay(1) : day.plusDays(1);
  }

  /** Whole seconds until {@link #resetsOn}, at least 1: the {@code Retry-After} of a refusal. */
  public long secondsToReset(UsageLimit limit) {
    Instant reset = resetsOn(limit).atStartOfDay(ZoneOffset.UTC).toInstant();
    long millis = reset.toEpochMilli() - clock.millis();
    return Math.max(1, (millis + 999) / 1000);
  }

  /** The current period as a person reads it: {@code December} for a month, the date for a day. */
  public String named(UsageLimit limit) {
    LocalDate day = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
    return limit.monthly() ? day.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH) : day.toString();
  }
}
