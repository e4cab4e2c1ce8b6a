package io.turnstile.proxy.cli;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** Builds admin API paths from user input. */
final class Paths {
  private Paths() {}

  /** One percent-encoded path segment ('+' kept distinct from space). */
  static String segment(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
