package io.turnstile.proxy.observe;

import io.turnstile.proxy.oci.RegistryPath;
import java.util.Locale;

/** What a request to the public listener asked for, as metrics count it. */
public enum Route {
  MANIFEST, BLOB, TAGS, CATALOG, REFERRERS, TOKEN, BASE, OTHER;

  private final String label = name().toLowerCase(Locale.ROOT);

  public String label() {
    return label;
  }

  /** The route of a parsed registry path; uploads are {@link #OTHER}. */
  public static Route of(RegistryPath.Kind kind) {
    return switch (kind) {
      case MANIFEST -> MANIFEST;
      case BLOB -> BLOB;
      case TAGS -> TAGS;
      case CATALOG -> CATALOG;
      case REFERRERS -> REFERRERS;
      case BASE -> BASE;
      case UPLOAD -> OTHER;
    };
  }

  /** A first guess from the raw path, before it is parsed: {@code /token}, {@code /v2/} or other. */
  static Route guess(String rawPath) {
    if (rawPath.equals("/token")) {
      return TOKEN;
    }
    return rawPath.equals("/v2") || rawPath.equals("/v2/") ? BASE : OTHER;
  }
}
