package io.turnstile.store;

import java.util.Locale;

/** What one grant of a license names: an exact version, a range of versions, or every version. */
public enum GrantKind {
  EXACT,
  RANGE,
  ALL;

  /** The name the admin API and the CLI show: {@code exact}, {@code range}, {@code all}. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
