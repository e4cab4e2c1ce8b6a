package io.turnstile.config;

/**
 * Thrown by a configuration record's constructor when one of its fields is wrong. The loader adds
 * the file name and the path of the record, so the final message reads
 * {@code turnstile.yaml: upstreams[0].url: not an absolute http(s) URL}.
 */
public final class InvalidValueException extends IllegalArgumentException {
  private final String field;

  /**
   * @param field the field's path relative to the record that rejects it, e.g. {@code url} or
   *     {@code repositories[1].upstream}
   * @param problem what is wrong, without the field name
   */
  public InvalidValueException(String field, String problem) {
    super(problem);
    this.field = field;
  }

  /** The field's path relative to the record that rejected it. */
  public String field() {
    return field;
  }

  /** What is wrong with the value. */
  public String problem() {
    return getMessage();
  }
}
