package io.turnstile.config;

import java.time.LocalDate;
import java.time.format.DateTimeParseException;

/**
 * The type of an entitlement field, and how a value of it is written: every value is kept as its
 * canonical text and shown typed ({@link #typed}).
 */
public enum EntitlementType {
  /** A whole number, e.g. seats or nodes: {@code -9223372036854775808} to {@code 9223372036854775807}. */
  INTEGER,
  /** {@code true} or {@code false}, e.g. a feature switch. */
  BOOLEAN,
  /** Text of at most {@link #MAX_STRING} characters, without control characters. */
  STRING,
  /** A calendar date, {@code YYYY-MM-DD}, e.g. the end of a support contract. */
  DATE;

  /** Longest string value. */
  public static final int MAX_STRING = 1024;

  /** The name written in the configuration and the API: {@code integer}, {@code boolean}, ... */
  public String wireName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** The type named {@code name} ({@code integer}, ...), or null when there is none. */
  public static EntitlementType of(String name) {
    for (EntitlementType t : values()) {
      if (t.wireName().equals(name)) {
        return t;
      }
    }
    return null;
  }

  /**
   * The canonical text of {@code text} as a value of this type.
   *
   * @throws IllegalArgumentException whose message says what is wrong (without the field name)
   */
  public String canonical(String text) {
    if (text == null) {
      throw new IllegalArgumentException("must not be null");
    }
    switch (this) {
      case INTEGER -> {
        try {
          return Long.toString(Long.parseLong(text.strip()));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("'" + shortened(text) + "' is not an integer");
        }
      }
      case BOOLEAN -> {
        String t = text.strip();
        if (t.equals("true") || t.equals("false")) {
          return t;
        }
        throw new IllegalArgumentException("'" + shortened(text) + "' is not a boolean (true or false)");
      }
      case DATE -> {
        try {
          return LocalDate.parse(text.strip()).toString();
        } catch (DateTimeParseException e) {
          throw new IllegalArgumentException("'" + shortened(text) + "' is not a date (YYYY-MM-DD)");
        }
      }
      default -> {
        if (text.length() > MAX_STRING) {
          throw new IllegalArgumentException("is longer than " + MAX_STRING + " characters");
        }
        if (text.chars().anyMatch(Character::isISOControl)) {
          throw new IllegalArgumentException("must not hold control characters");
        }
        return text;
      }
    }
  }

  /** A canonical value as JSON shows it: a {@link Long}, a {@link Boolean} or a {@link String}. */
  public Object typed(String canonical) {
    return switch (this) {
      case INTEGER -> Long.parseLong(canonical);
      case BOOLEAN -> Boolean.parseBoolean(canonical);
      default -> canonical;
    };
  }

  private static String shortened(String text) {
    return text.length() <= 64 ? text : text.substring(0, 64) + "...";
  }
}
