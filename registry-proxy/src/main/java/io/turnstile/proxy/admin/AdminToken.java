package io.turnstile.proxy.admin;

import io.turnstile.proxy.token.FailureThrottle;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;

/**
 * The admin token and the one way to check one presented: in constant time, for the admin API's
 * bearer header and the console's sign-in form alike, with wrong tokens throttled per client
 * address ({@link #FAILURES_PER_MINUTE}), so the token cannot be guessed at speed. {@link #toString}
 * never shows it.
 */
public final class AdminToken {
  /** Wrong tokens one client address may present per minute, API and console together. */
  public static final int FAILURES_PER_MINUTE = 10;
  /** Most client addresses whose wrong tokens are remembered. */
  private static final int MAX_TRACKED = 10_000;

  private final byte[] token;
  private final byte[] authorization;
  private final FailureThrottle<InetAddress> failures =
      new FailureThrottle<>(FAILURES_PER_MINUTE, Duration.ofMinutes(1), MAX_TRACKED);

  public AdminToken(String token) {
    if (token == null || token.isEmpty()) {
      throw new IllegalArgumentException("the admin token must not be empty");
    }
    this.token = token.getBytes(StandardCharsets.UTF_8);
    this.authorization = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Whole seconds {@code client} must wait before a token it presents is looked at; 0 when it may
   * present one now. Callers ask this first and refuse while it is not 0.
   */
  public long secondsToWait(InetAddress client) {
    return client == null ? 0 : failures.secondsToWait(client);
  }

  /** Whether {@code presented} is the admin token; a wrong one counts against {@code client}. */
  public boolean matches(String presented, InetAddress client) {
    return counted(presented != null && MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8), token),
        client);
  }

  /** Whether an {@code Authorization} header carries the admin token as a bearer token; counts nothing. */
  boolean isAuthorization(String header) {
    return header != null && MessageDigest.isEqual(header.getBytes(StandardCharsets.UTF_8), authorization);
  }

  /** Counts a wrong credential against {@code client}, as a wrong admin token counts. */
  void failed(InetAddress client) {
    counted(false, client);
  }

  private boolean counted(boolean right, InetAddress client) {
    if (!right && client != null) {
      failures.failed(client);
    }
    return right;
  }

  @Override
  public String toString() {
    return "AdminToken[***]";
  }
}
