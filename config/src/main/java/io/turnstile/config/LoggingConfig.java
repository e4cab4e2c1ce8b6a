package io.turnstile.config;

import java.util.Locale;

/**
 * How Turnstile writes its log, the access log included; both go to standard error.
 *
 * @param format {@code text} (one readable line per event, for a terminal) or {@code json} (one JSON
 *     object per line, for a log shipper); default {@code text}
 */
public record LoggingConfig(String format) {
  public LoggingConfig {
    format = format == null ? "text" : format.toLowerCase(Locale.ROOT);
    if (!format.equals("text") && !format.equals("json")) {
      throw new InvalidValueException("format", "must be text or json");
    }
  }

  public static LoggingConfig defaults() {
    return new LoggingConfig(null);
  }

  /** Whether lines are JSON objects. */
  public boolean json() {
    return format.equals("json");
  }
}
