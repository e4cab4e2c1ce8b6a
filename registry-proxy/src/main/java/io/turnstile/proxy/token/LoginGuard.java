package io.turnstile.proxy.token;

import io.turnstile.config.LoginThrottleConfig;
import io.turnstile.proxy.oci.Denial;
import io.turnstile.proxy.oci.RegistryError;
import io.turnstile.proxy.oci.RegistryException;
import io.turnstile.store.AuthResult;
import io.turnstile.store.Keys;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.Refusal;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks a username and key (Basic credentials, or the token endpoint's password grant) against
 * the live snapshot, with failed logins logged and throttled per client address and per client
 * address and username (token buckets from Bucket4j; see {@link LoginThrottleConfig}). While a
 * budget is spent, every login it covers is refused before the key is looked at, so a guesser
 * learns nothing more; other addresses are unaffected, so no one can lock a customer out by
 * guessing at its license id from elsewhere.
 *
 * <p>What it remembers is bounded in bytes, whatever clients send: a username longer than {@link
 * #MAX_USERNAME} is refused before anything is stored; a bucket is made only by a failed login (a
 * full bucket and no bucket throttle alike), never by a refused or throttled one; the
 * address-and-username bucket is keyed by a 128-bit digest of the pair, not by the username; and
 * each table keeps at most {@link #MAX_TRACKED} entries of fixed size.
 */
public final class LoginGuard {
  private static final Logger log = LoggerFactory.getLogger(LoginGuard.class);
  /** Most throttled addresses (and address-username pairs) remembered; the least recent go first. */
  static final int MAX_TRACKED = 100_000;
  /** The longest username looked at: ids are 24 characters; anything longer is no id. */
  public static final int MAX_USERNAME = 128;

  private final LicenseStore store;
  private final FailureThrottle<InetAddress> byAddress;
  private final FailureThrottle<Pair> byAddressAndUser;

  public LoginGuard(LicenseStore store, LoginThrottleConfig config) {
    this.store = store;
    this.byAddress = new FailureThrottle<>(config.perAddress(), config.period(), MAX_TRACKED);
    this.byAddressAndUser = new FailureThrottle<>(config.perAddressAndUser(), config.period(), MAX_TRACKED);
  }

  /**
   * The store's answer for {@code username} and {@code key}, from {@code client} (null when
   * unknown: not throttled).
   *
   * @throws RegistryException {@link RegistryError#TOO_MANY_REQUESTS} with {@code Retry-After} while
   *     the client's failed-login budget is spent
   */
  public AuthResult authenticate(String username, String key, InetAddress client) throws RegistryException {
    if (client != null) {
      refuseWhenSpent(byAddress.secondsToWait(client));
    }
    if (username.length() > MAX_USERNAME) {
      log.warn("failed login: username={} address={} reason=username longer than {} characters", printable(username),
          address(client), MAX_USERNAME);
      return new Refusal(Refusal.Reason.BAD_CREDENTIALS);
    }
    Pair pair = client == null ? null : Pair.of(client, username);
    if (pair != null) {
      refuseWhenSpent(byAddressAndUser.secondsToWait(pair));
    }
    AuthResult result = store.authorize(username, key);
    if (result instanceof Refusal refusal) {
      if (refusal.reason() == Refusal.Reason.BAD_CREDENTIALS && client != null) {
        byAddress.failed(client);
        byAddressAndUser.failed(pair);
      }
      log.warn("failed login: username={} address={} reason={}", printable(username), address(client),
          refusal.reason().message());
    }
    return result;
  }

  /** Entries in the throttle's tables, for tests. */
  long tracked() {
    return byAddress.tracked() + byAddressAndUser.tracked();
  }

  private static String address(InetAddress client) {
    return client == null ? "-" : client.getHostAddress();
  }

  private static void refuseWhenSpent(long seconds) throws RegistryException {
    if (seconds > 0) {
      throw new RegistryException(RegistryError.TOO_MANY_REQUESTS,
          "too many failed logins from this address; retry in " + seconds + " s")
          .withHeader("Retry-After", Long.toString(seconds)).deniedFor(Denial.THROTTLED);
    }
  }

  /**
   * A username as it may go into a log line: printable ASCII, at most 64 characters, and anything
   * from a license key's, an API token's or a pull token's prefix on masked, since a secret typed into the username
   * field is a common mistake.
   */
  public static String printable(String username) {
    String shown = masked(masked(masked(username, Keys.KEY_PREFIX), Keys.API_TOKEN_PREFIX), Keys.PULL_TOKEN_PREFIX);
    StringBuilder sb = new StringBuilder(Math.min(shown.length(), 64) + 5).append('"');
    for (int i = 0; i < shown.length() && i < 64; i++) {
      char c = shown.charAt(i);
      sb.append(c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? c : '?');
    }
    if (shown.length() > 64) {
      sb.append("...");
    }
    return sb.append('"').toString();
  }

  private static String masked(String text, String prefix) {
    int at = text.indexOf(prefix);
    return at < 0 ? text : text.substring(0, at) + prefix + "***";
  }

  /** An address and a username as 128 bits of their SHA-256: a fixed size whatever the username. */
  private record Pair(long high, long low) {
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
      try {
        return MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    });

    static Pair of(InetAddress client, String username) {
      MessageDigest md = SHA256.get();
      md.update(client.getAddress());
      md.update((byte) 0);
      ByteBuffer d = ByteBuffer.wrap(md.digest(username.getBytes(StandardCharsets.UTF_8)));
      return new Pair(d.getLong(), d.getLong());
    }
  }
}
