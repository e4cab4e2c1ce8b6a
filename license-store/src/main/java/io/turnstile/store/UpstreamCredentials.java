package io.turnstile.store;

import java.util.Objects;

/** Credentials for the vendor's upstream registry. {@link #toString()} never shows the password. */
public record UpstreamCredentials(String username, String password) {
  public UpstreamCredentials {
    Objects.requireNonNull(username, "username");
    Objects.requireNonNull(password, "password");
  }

  @Override
  public String toString() {
    return "UpstreamCredentials[username=" + username + ", password=***]";
  }
}
