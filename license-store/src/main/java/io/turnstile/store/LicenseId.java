package io.turnstile.store;

import java.util.Objects;

/** A license's id, {@code lic_} followed by random characters; also its login user name. */
public record LicenseId(String value) {
  public static final String PREFIX = "lic_";

  public LicenseId {
    Objects.requireNonNull(value, "value");
  }

  /** Whether {@code username} has the shape of a license id. */
  public static boolean looksLike(String username) {
    return username != null && username.startsWith(PREFIX);
  }

  @Override
  public String toString() {
    return value;
  }
}
