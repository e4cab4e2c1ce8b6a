package io.turnstile.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.util.Locale;

/** What the proxy does when an upstream answers a blob request with a redirect. */
public enum BlobRedirects {
  /** Fetch the redirect target (without the Authorization header) and stream it. */
  FOLLOW,
  /** Hand the redirect's Location to the client. */
  PASSTHROUGH;

  @JsonCreator
  static BlobRedirects parse(String text) {
    try {
      return valueOf(text.toUpperCase(Locale.ROOT));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("'" + text + "' is not one of follow, passthrough");
    }
  }
}
