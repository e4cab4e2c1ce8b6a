package io.turnstile.proxy.upstream;

import java.net.URI;
import java.util.Locale;

/**
 * The scheme, host and port of an http(s) URL: the unit credentials belong to and connections are
 * made to. Two URLs share an origin when all three match, default ports filled in.
 */
record Origin(String scheme, String host, int port) {
  /** The origin of {@code url}; throws IllegalArgumentException unless it is an absolute http(s) URL. */
  static Origin of(URI url) {
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https") || url.getHost() == null) {
      throw new IllegalArgumentException("not an absolute http(s) URL");
    }
    int port = url.getPort() > 0 ? url.getPort() : scheme.equals("https") ? 443 : 80;
    return new Origin(scheme, url.getHost().toLowerCase(Locale.ROOT), port);
  }

  boolean https() {
    return scheme.equals("https");
  }

  /** The Host header for a request to this origin: the port only when it is not the default. */
  String hostHeader() {
    return port == (https() ? 443 : 80) ? host : host + ":" + port;
  }

  /** The path and query of {@code url} as sent on the request line. */
  static String pathAndQuery(URI url) {
    String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
    return url.getRawQuery() == null ? path : path + "?" + url.getRawQuery();
  }
}
