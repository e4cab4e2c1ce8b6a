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

  /** Longest part of a bad value an error message repeats. */
  public static final int MAX_QUOTED = 60;

  /**
   * {@code value} in single quotes for an error message, cut to {@link #MAX_QUOTED} characters with
   * an ellipsis: a message names what was wrong without echoing a whole paste back.
   */
  public static String quoted(String value) {
    if (value == null) {
      return "null";
    }
    return "'" + (value.length() <= MAX_QUOTED ? value : value.substring(0, MAX_QUOTED) + "…") + "'";
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
