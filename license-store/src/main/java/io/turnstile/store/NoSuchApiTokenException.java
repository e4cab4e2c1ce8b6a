package io.turnstile.store;

/** No API token has this id. */
public final class NoSuchApiTokenException extends StoreException {
  private final String tokenId;

  public NoSuchApiTokenException(String tokenId) {
    super("no API token " + tokenId);
    this.tokenId = tokenId;
  }

  public String tokenId() {
    return tokenId;
  }
}
