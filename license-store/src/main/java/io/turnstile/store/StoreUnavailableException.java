package io.turnstile.store;

/**
 * The database cannot be reached: nothing was written. Pulls go on from the last snapshot; the
 * admin API answers 503 until the database is back.
 */
public final class StoreUnavailableException extends StoreException {
  public StoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
