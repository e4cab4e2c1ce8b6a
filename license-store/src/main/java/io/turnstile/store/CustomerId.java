package io.turnstile.store;

import java.util.Objects;

/** A customer's id, {@code cus_} followed by random characters; also a login user name. */
public record CustomerId(String value) {
  public static final String PREFIX = "cus_";

  public CustomerId {
    Objects.requireNonNull(value, "value");
  }

  /** Whether {@code username} has the shape of a customer id. */
  public static boolean looksLike(String username) {
    return username != null && username.startsWith(PREFIX);
  }

  @Override
  public String toString() {
    return value;
  }
}
