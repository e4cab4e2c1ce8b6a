package io.turnstile.store;

/**
 * A signing key to keep in the store: its id (the RFC 7638 thumbprint) and its PEM (private key
 * and certificate), which {@link #toString} never shows.
 */
public record NewSigningKey(String kid, String pem) {
  @Override
  public String toString() {
    return "NewSigningKey[kid=" + kid + "]";
  }
}
