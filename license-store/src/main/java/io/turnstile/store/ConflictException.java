package io.turnstile.store;

/** The change is well-formed but the record's state forbids it (e.g. editing a revoked license). */
public final class ConflictException extends StoreException {
  public ConflictException(String message) {
    super(message);
  }
}
