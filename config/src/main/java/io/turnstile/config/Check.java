package io.turnstile.config;

import java.net.URI;
import java.util.List;
import java.util.regex.Pattern;

/** Validation helpers shared by the configuration records. */
final class Check {
  static final Pattern SIMPLE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  private Check() {}

  static <T> T required(String field, T value) {
    if (value == null) {
      throw new InvalidValueException(field, "is required");
    }
    if (value instanceof String s && s.isBlank()) {
      throw new InvalidValueException(field, "must not be empty");
    }
    return value;
  }

  static String simpleName(String field, String value) {
    required(field, value);
    if (!SIMPLE_NAME.matcher(value).matches()) {
      throw new InvalidValueException(
          field, "'" + value + "' is not a valid name (letters, digits, '.', '_', '-'; at most 64)");
    }
    return value;
  }

  static String repositoryName(String field, String value) {
    required(field, value);
    if (!RepositoryNames.isValid(value)) {
      throw new InvalidValueException(
          field, "'" + value + "' is not a valid repository name (lowercase path components)");
    }
    return value;
  }

  static URI httpUrl(String field, URI value) {
    required(field, value);
    String scheme = value.getScheme();
    if (!value.isAbsolute()
        || value.getHost() == null
        || !("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme))) {
      throw new InvalidValueException(field, "not an absolute http(s) URL");
    }
    return value;
  }

  static java.time.Duration positive(String field, java.time.Duration value) {
    if (value.isNegative() || value.isZero()) {
      throw new InvalidValueException(field, "must be longer than zero");
    }
    return value;
  }

  static <T> List<T> list(List<T> value) {
    return value == null ? List.of() : List.copyOf(value);
  }
}
