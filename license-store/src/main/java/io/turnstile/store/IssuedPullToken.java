package io.turnstile.store;

/**
 * A pull token just made, with its secret: the one moment the secret exists outside its holder's
 * hands. {@link #toString} masks it.
 *
 * @param secret {@code tpt_} followed by 256 random bits in base64url
 */
public record IssuedPullToken(PullToken token, String secret) {
  @Override
  public String toString() {
    return "IssuedPullToken[" + token + ", secret=" + Keys.PULL_TOKEN_PREFIX + "***]";
  }
}
