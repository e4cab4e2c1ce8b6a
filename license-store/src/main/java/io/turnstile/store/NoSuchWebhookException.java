package io.turnstile.store;

/** No webhook endpoint (or delivery of it) with this id. */
public final class NoSuchWebhookException extends StoreException {
  private final String id;

  public NoSuchWebhookException(String id) {
    super("no webhook endpoint or delivery " + id);
    this.id = id;
  }

  public String id() {
    return id;
  }
}
