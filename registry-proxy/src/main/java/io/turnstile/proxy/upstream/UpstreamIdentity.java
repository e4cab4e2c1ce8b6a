package io.turnstile.proxy.upstream;

import io.turnstile.config.UpstreamConfig;
import io.turnstile.store.UpstreamCredentials;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Who Turnstile is at an upstream: the upstream's name, the username it presents there and a
 * SHA-256 hash of the password. Every cache of what an upstream answered to some credentials
 * (Bearer challenges and tokens, tags, manifests, closures) is keyed by this, so an answer earned
 * with one password never serves another, not even under the same username. The password itself
 * is kept out of cache keys. Anonymous access has an empty username and hash.
 */
public record UpstreamIdentity(String upstream, String username, String passwordHash) {
  /**
   * The identity in use when reading {@code upstream} for a license carrying {@code license}
   * credentials (null: the upstream's own, which may be none).
   */
  public static UpstreamIdentity of(UpstreamConfig upstream, UpstreamCredentials license) {
    UpstreamCredentials c = presented(upstream, license);
    return c == null ? new UpstreamIdentity(upstream.name(), "", "")
        : new UpstreamIdentity(upstream.name(), c.username(), sha256(c.password().getBytes(StandardCharsets.UTF_8)));
  }

  /** The credentials presented at {@code upstream}: the license's own, else the upstream's; null for none. */
  public static UpstreamCredentials presented(UpstreamConfig upstream, UpstreamCredentials license) {
    if (license != null) {
      return license;
    }
    return upstream.username() == null ? null : new UpstreamCredentials(upstream.username(), upstream.password());
  }

  /**
   * This identity as one string, for composite cache keys. The username is length-prefixed so that
   * no username can make two identities' keys equal.
   */
  public String key() {
    return upstream + "|" + username.length() + ":" + username + "|" + passwordHash;
  }

  private static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  @Override
  public String toString() {
    return "UpstreamIdentity[upstream=" + upstream + ", username=" + username + "]";
  }
}
