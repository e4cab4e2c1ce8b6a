package io.turnstile.store;

/** No (live) customer has this id. */
public final class NoSuchCustomerException extends StoreException {
  private final String customerId;

  public NoSuchCustomerException(String customerId) {
    super("no customer " + customerId);
    this.customerId = customerId;
  }

  public String customerId() {
    return customerId;
  }
}
