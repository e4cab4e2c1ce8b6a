package io.turnstile.proxy.oci;

/** A 401 answer with its {@code WWW-Authenticate} challenge. */
public final class ChallengeException extends Exception {
  private final RegistryError error;
  private final String challenge;

  public ChallengeException(RegistryError error, String message, String challenge) {
    super(message, null, false, false);
    this.error = error;
    this.challenge = challenge;
  }

  public RegistryError error() {
    return error;
  }

  public String challenge() {
    return challenge;
  }
}
