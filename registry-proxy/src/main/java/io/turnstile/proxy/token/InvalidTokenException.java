package io.turnstile.proxy.token;

/** A bearer or refresh token that is malformed, expired, not ours, or tampered with. */
public final class InvalidTokenException extends Exception {
  public InvalidTokenException(String message) {
    super(message, null, false, false);
  }
}
