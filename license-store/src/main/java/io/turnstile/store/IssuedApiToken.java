package io.turnstile.store;

/**
 * A token just made, with its secret: the one moment the secret exists outside its holder's hands.
 * {@link #toString} masks it.
 *
 * @param secret {@code tsa_} followed by 256 random bits in base64url
 */
public record IssuedApiToken(ApiToken token, String secret) {
  @Override
  public String toString() {
    return "IssuedApiToken[" + token + ", secret=" + Keys.API_TOKEN_PREFIX + "***]";
  }
}
