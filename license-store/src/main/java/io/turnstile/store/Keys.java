package io.turnstile.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Login keys and ids. A key is {@code tsk_} followed by 256 random bits in base64url, so secret
 * scanners can recognise a leaked one. Only its SHA-256 is stored: a random 256-bit secret needs no
 * slow hash, and authentication stays a hash and a map lookup.
 */
public final class Keys {
  public static final String KEY_PREFIX = "tsk_";
  /** How a personal API token of the vendor's team starts, so secret scanners can find a leaked one. */
  public static final String API_TOKEN_PREFIX = "tsa_";
  /** How a customer's pull token starts, so secret scanners can find a leaked one. */
  public static final String PULL_TOKEN_PREFIX = "tpt_";
  /** How the id of a pull token starts; the id names it in the pull log and in tokens. */
  public static final String PULL_TOKEN_ID_PREFIX = "ptk_";
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  });

  private Keys() {}

  /** A fresh login key. */
  public static String newKey() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return KEY_PREFIX + B64.encodeToString(b);
  }

  /** A fresh API token: {@link #API_TOKEN_PREFIX} and 256 random bits in base64url. */
  public static String newApiToken() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return API_TOKEN_PREFIX + B64.encodeToString(b);
  }

  /** A fresh pull token: {@link #PULL_TOKEN_PREFIX} and 256 random bits in base64url. */
  public static String newPullToken() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return PULL_TOKEN_PREFIX + B64.encodeToString(b);
  }

  /** A fresh id: {@code prefix} and 80 random bits in lowercase base32-like hex. */
  public static String newId(String prefix) {
    byte[] b = new byte[10];
    RANDOM.nextBytes(b);
    return prefix + HexFormat.of().formatHex(b);
  }

  /** Lowercase hex SHA-256 of the key's UTF-8 bytes. */
  public static String hash(String key) {
    MessageDigest md = SHA256.get();
    return HexFormat.of().formatHex(md.digest(key.getBytes(StandardCharsets.UTF_8)));
  }
}
