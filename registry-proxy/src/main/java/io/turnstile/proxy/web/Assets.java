package io.turnstile.proxy.web;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/**
 * The pages' static files, read from the classpath once: the style sheet and the small scripts.
 * Only the listed names are served; nothing is looked up from a request's path. {@link #favicon()}
 * answers {@code /favicon.ico}, which browsers ask for on their own.
 */
public final class Assets {
  private static final Map<String, String> FILES = Map.of(
      "style.css", "text/css; charset=utf-8",
      "pages.js", "text/javascript; charset=utf-8",
      "console.js", "text/javascript; charset=utf-8",
      "portal.js", "text/javascript; charset=utf-8",
      "favicon.svg", "image/svg+xml");

  private final Map<String, byte[]> bytes = new HashMap<>();

  public Assets() {
    for (String name : FILES.keySet()) {
      try (InputStream in = Assets.class.getResourceAsStream("static/" + name)) {
        if (in == null) {
          throw new IllegalStateException("missing resource static/" + name);
        }
        bytes.put(name, in.readAllBytes());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** The icon, for {@code /favicon.ico}. */
  public WebResponse favicon() {
    return get("favicon.svg");
  }

  /** The file {@code name} (e.g. {@code "style.css"}), or null when there is none. */
  public WebResponse get(String name) {
    byte[] b = bytes.get(name);
    if (b == null) {
      return null;
    }
    return WebResponse.bytes(200, FILES.get(name), b).header("Cache-Control", "no-cache");
  }
}
