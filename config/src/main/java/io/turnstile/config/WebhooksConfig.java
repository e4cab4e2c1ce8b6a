package io.turnstile.config;

import java.time.Duration;
import java.util.List;

/**
 * How webhooks are delivered. Endpoints themselves are kept in the store and managed through the
 * admin API; this decides only what any endpoint may be and how hard Turnstile tries.
 *
 * @param allowHttp whether endpoints may be plain {@code http}; default false (only {@code https})
 * @param allowAddresses addresses in loopback, link-local and private ranges that endpoints may
 *     still reach, e.g. {@code 10.1.0.0/16} for a receiver inside the vendor's network; default none.
 *     Checked when the connection is made, against the address actually connected to.
 * @param timeout how long one attempt may take, connecting included; default 10s, between 1s and 60s
 * @param concurrency runs of deliveries under way at once per replica (each one customer's, to one endpoint, sent
 *     in order); default 8, between 1 and 256
 * @param retryBase the wait after the first failure; each further failure doubles it (with jitter),
 *     up to an hour; default 5s, between 10ms and 1h
 * @param retryFor how long a delivery is tried before it is marked failed, and how long an endpoint
 *     may fail before it is disabled; default 24h, between 1s and 7d
 * @param poll how often a replica looks for deliveries that are due; default 500ms, between 10ms and 1m
 * @param expiryCheck how often licenses are checked for expiry warnings; default 1m, between 10ms and 1h
 */
public record WebhooksConfig(Boolean allowHttp, List<Cidr> allowAddresses, Duration timeout, Integer concurrency,
    Duration retryBase, Duration retryFor, Duration poll, Duration expiryCheck) {
  public WebhooksConfig {
    allowHttp = allowHttp != null && allowHttp;
    allowAddresses = Check.list(allowAddresses);
    timeout = within("timeout", timeout, Duration.ofSeconds(10), Duration.ofSeconds(1), Duration.ofSeconds(60));
    concurrency = concurrency == null ? 8 : concurrency;
    if (concurrency < 1 || concurrency > 256) {
      throw new InvalidValueException("concurrency", "must be between 1 and 256");
    }
    retryBase = within("retryBase", retryBase, Duration.ofSeconds(5), Duration.ofMillis(10), Duration.ofHours(1));
    retryFor = within("retryFor", retryFor, Duration.ofHours(24), Duration.ofSeconds(1), Duration.ofDays(7));
    poll = within("poll", poll, Duration.ofMillis(500), Duration.ofMillis(10), Duration.ofMinutes(1));
    expiryCheck = within("expiryCheck", expiryCheck, Duration.ofMinutes(1), Duration.ofMillis(10), Duration.ofHours(1));
  }

  public static WebhooksConfig defaults() {
    return new WebhooksConfig(null, null, null, null, null, null, null, null);
  }

  private static Duration within(String field, Duration value, Duration fallback, Duration min, Duration max) {
    Duration d = value == null ? fallback : value;
    if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
      throw new InvalidValueException(field, "must be between " + Durations.format(min) + " and "
          + Durations.format(max));
    }
    return d;
  }
}
