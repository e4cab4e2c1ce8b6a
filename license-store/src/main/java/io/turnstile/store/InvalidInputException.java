package io.turnstile.store;

/** A request value that the store rejects; {@link #field()} names it. */
public final class InvalidInputException extends StoreException {
  private final String field;

  public InvalidInputException(String field, String problem) {
    super(field + ": " + problem);
    this.field = field;
  }

  public String field() {
    return field;
  }
}
