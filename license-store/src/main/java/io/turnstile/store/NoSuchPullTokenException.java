package io.turnstile.store;

/** The license has no pull token with this id that is not revoked. */
public final class NoSuchPullTokenException extends StoreException {
  private final String tokenId;

  public NoSuchPullTokenException(String tokenId) {
    super("no active pull token " + tokenId);
    this.tokenId = tokenId;
  }

  public String tokenId() {
    return tokenId;
  }
}
