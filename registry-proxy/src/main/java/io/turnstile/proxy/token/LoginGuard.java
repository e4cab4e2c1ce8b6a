package io.turnstile.proxy.token;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.EstimationProbe;
import io.turnstile.config.LoginThrottleConfig;
import io.turnstile.proxy.oci.Denial;
import io.turnstile.proxy.oci.RegistryError;
import io.turnstile.proxy.oci.RegistryException;
import io.turnstile.store.AuthResult;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.Refusal;
import java.net.InetAddress;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks a username and key (Basic credentials, or the token endpoint's password grant) against
 * the live snapshot, with failed logins logged and throttled per client address and per client
 * address and username (token buckets from Bucket4j; see {@link LoginThrottleConfig}). While a
 * budget is spent, every login it covers is refused before the key is looked at, so a guesser
 * learns nothing more; other addresses are unaffected, so no one can lock a customer out by
 * guessing at its license id from elsewhere.
 */
public final class LoginGuard {
  private static final Logger log = LoggerFactory.getLogger(LoginGuard.class);
  /** Most throttled addresses (and address-username pairs) remembered; the least recent go first. */
  private static final int MAX_TRACKED = 100_000;

  private final LicenseStore store;
  private final LoginThrottleConfig config;
  private final Cache<InetAddress, Bucket> byAddress;
  private final Cache<String, Bucket> byAddressAndUser;

  public LoginGuard(LicenseStore store, LoginThrottleConfig config) {
    this.store = store;
    this.config = config;
    // A bucket left alone for a whole period is full again: forgetting it changes nothing.
    Duration forget = config.period().plusSeconds(1);
    this.byAddress = Caffeine.newBuilder().maximumSize(MAX_TRACKED).expireAfterAccess(forget).build();
    this.byAddressAndUser = Caffeine.newBuilder().maximumSize(MAX_TRACKED).expireAfterAccess(forget).build();
  }

  /**
   * The store's answer for {@code username} and {@code key}, from {@code client} (null when
   * unknown: not throttled).
   *
   * @throws RegistryException {@link RegistryError#TOO_MANY_REQUESTS} with {@code Retry-After} while
   *     the client's failed-login budget is spent
   */
  public AuthResult authenticate(String username, String key, InetAddress client) throws RegistryException {
    Bucket address = client == null ? null : byAddress.get(client, a -> bucket(config.perAddress()));
    Bucket pair = client == null ? null : byAddressAndUser.get(client.getHostAddress() + "\0" + username,
        k -> bucket(config.perAddressAndUser()));
    if (address != null) {
      refuseWhenSpent(address);
      refuseWhenSpent(pair);
    }
    AuthResult result = store.authorize(username, key);
    if (result instanceof Refusal refusal) {
      if (refusal.reason() == Refusal.Reason.BAD_CREDENTIALS && address != null) {
        address.tryConsume(1);
        pair.tryConsume(1);
      }
      log.warn("failed login: username={} address={} reason={}", printable(username),
          client == null ? "-" : client.getHostAddress(), refusal.reason().message());
    }
    return result;
  }

  private static void refuseWhenSpent(Bucket bucket) throws RegistryException {
    EstimationProbe probe = bucket.estimateAbilityToConsume(1);
    if (!probe.canBeConsumed()) {
      long seconds = Math.max(1, Duration.ofNanos(probe.getNanosToWaitForRefill()).toSeconds() + 1);
      throw new RegistryException(RegistryError.TOO_MANY_REQUESTS,
          "too many failed logins from this address; retry in " + seconds + " s")
          .withHeader("Retry-After", Long.toString(seconds)).deniedFor(Denial.THROTTLED);
    }
  }

  private Bucket bucket(int capacity) {
    return Bucket.builder()
        .addLimit(Bandwidth.builder().capacity(capacity).refillGreedy(capacity, config.period()).build())
        .build();
  }

  /** A username as it may go into a log line: printable ASCII, at most 64 characters. */
  static String printable(String username) {
    StringBuilder sb = new StringBuilder(Math.min(username.length(), 64) + 2).append('"');
    for (int i = 0; i < username.length() && i < 64; i++) {
      char c = username.charAt(i);
      sb.append(c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? c : '?');
    }
    if (username.length() > 64) {
      sb.append("...");
    }
    return sb.append('"').toString();
  }
}
