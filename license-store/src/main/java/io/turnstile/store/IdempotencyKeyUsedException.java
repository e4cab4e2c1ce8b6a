package io.turnstile.store;

/**
 * Another request with the same idempotency key was committed first; the change of this one was
 * rolled back. The caller answers what the first one did.
 */
public final class IdempotencyKeyUsedException extends StoreException {
  public IdempotencyKeyUsedException(String key) {
    super("idempotency key " + key + " was used by another request first");
  }
}
