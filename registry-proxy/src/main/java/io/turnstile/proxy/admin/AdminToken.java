package io.turnstile.proxy.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The admin token and the one way to check one presented: in constant time, for the admin API's
 * bearer header and the console's sign-in form alike. {@link #toString} never shows it.
 */
public final class AdminToken {
  private final byte[] token;
  private final byte[] authorization;

  public AdminToken(String token) {
    if (token == null || token.isEmpty()) {
      throw new IllegalArgumentException("the admin token must not be empty");
    }
    this.token = token.getBytes(StandardCharsets.UTF_8);
    this.authorization = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
  }

  /** Whether {@code presented} is the admin token. */
  public boolean matches(String presented) {
    return presented != null && MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8), token);
  }

  /** Whether an {@code Authorization} header carries the admin token as a bearer token. */
  boolean matchesAuthorization(String header) {
    return header != null && MessageDigest.isEqual(header.getBytes(StandardCharsets.UTF_8), authorization);
  }

  @Override
  public String toString() {
    return "AdminToken[***]";
  }
}
