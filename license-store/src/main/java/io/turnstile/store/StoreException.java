package io.turnstile.store;

/** Base of the license store's domain exceptions. */
public abstract class StoreException extends RuntimeException {
  protected StoreException(String message) {
    super(message);
  }

  protected StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
