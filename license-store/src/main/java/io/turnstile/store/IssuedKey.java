package io.turnstile.store;

/**
 * A freshly made login key: the only time the secret is available. {@code username} is what {@code
 * docker login -u} takes.
 */
public record IssuedKey(String username, String key, String keyId) {
  @Override
  public String toString() {
    return "IssuedKey[username=" + username + ", key=***, keyId=" + keyId + "]";
  }
}
