package io.turnstile.config;

import java.time.Duration;

/**
 * How failed logins (a wrong key or an unknown username with Basic credentials) are slowed down.
 * Two budgets refill continuously over {@code period}: one per client address, one per client
 * address and username. While either is spent, every login from that address (or address and
 * username) is answered {@code 429} with {@code Retry-After}, right key or not, so guessing cannot
 * go on; a username is never locked out globally, so the right key from another address keeps
 * working.
 *
 * @param perAddress failed logins one client address may make per {@code period}; default 60
 * @param perAddressAndUser failed logins one client address may make for one username per {@code
 *     period}; default 10
 * @param period the refill period of both budgets; default 1m
 */
public record LoginThrottleConfig(Integer perAddress, Integer perAddressAndUser, Duration period) {
  public LoginThrottleConfig {
    perAddress = perAddress == null ? 60 : perAddress;
    perAddressAndUser = perAddressAndUser == null ? 10 : perAddressAndUser;
    period = period == null ? Duration.ofMinutes(1) : period;
    if (perAddress < 1) {
      throw new InvalidValueException("perAddress", "must be at least 1");
    }
    if (perAddressAndUser < 1) {
      throw new InvalidValueException("perAddressAndUser", "must be at least 1");
    }
    Check.positive("period", period);
  }

  /** Every default. */
  public static LoginThrottleConfig defaults() {
    return new LoginThrottleConfig(null, null, null);
  }
}
