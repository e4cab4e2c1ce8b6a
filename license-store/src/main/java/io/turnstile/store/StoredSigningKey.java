package io.turnstile.store;

import java.time.Instant;

/**
 * A signing key kept in the store, of one {@link KeyPurpose}.
 *
 * @param kid the key's id (its RFC 7638 thumbprint)
 * @param pem the private key and its certificate; never shown by {@link #toString}
 * @param state whether it signs, verifies only, or is retired
 * @param createdAt when it was added
 * @param updatedAt when its state last changed; its creation when it never did
 */
public record StoredSigningKey(String kid, String pem, State state, Instant createdAt, Instant updatedAt) {
  /** What a key is used for. */
  public enum State {
    /** Signs, and verifies; one key of each purpose at most. */
    ACTIVE,
    /** Verifies only: a key on its way in, or on its way out. */
    VERIFY,
    /** Neither signs nor verifies; kept for history. */
    RETIRED;

    public String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  @Override
  public String toString() {
    return "StoredSigningKey[kid=" + kid + ", state=" + state + ", createdAt=" + createdAt + ", updatedAt="
        + updatedAt + "]";
  }
}
