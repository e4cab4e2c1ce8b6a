package io.turnstile.store;

/**
 * A write whose outcome this replica cannot confirm, so the caller must read the object back (or
 * retry with the same idempotency key) once the database answers. Unlike {@link
 * StoreUnavailableException} it never means "nothing was written". Either the database went away
 * while the commit was on its way, so the write may or may not be applied ({@link #committed()}
 * false), or the commit was acknowledged and the database went away before this replica could read
 * the result back ({@link #committed()} true).
 */
public final class StoreOutcomeUnknownException extends StoreException {
  private final boolean committed;

  public StoreOutcomeUnknownException(String message, boolean committed, Throwable cause) {
    super(message, cause);
    this.committed = committed;
  }

  /** Whether the database acknowledged the commit: the write is applied, only its result is unread. */
  public boolean committed() {
    return committed;
  }
}
