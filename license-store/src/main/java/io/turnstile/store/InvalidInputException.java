package io.turnstile.store;

/** A request value that the store rejects; {@link #field()} names it. */
public final class InvalidInputException extends StoreException {
  private final String field;
  private final String problem;

  public InvalidInputException(String field, String problem) {
    super(field + ": " + problem);
    this.field = field;
    this.problem = problem;
  }

  public String field() {
    return field;
  }

  /** What is wrong with the value, without the field's name. */
  public String problem() {
    return problem;
  }

  /** The same problem, with the field named inside {@code parent}, e.g. {@code customers[2].}. */
  public InvalidInputException within(String parent) {
    return new InvalidInputException(parent + field, problem);
  }
}
