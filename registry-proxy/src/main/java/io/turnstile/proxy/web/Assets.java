package io.turnstile.proxy.web;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The pages' static files, read from the classpath once: the style sheet and the small scripts,
 * and uPlot's browser build and style sheet from its webjar (the console's fleet chart).
 * Only the listed names are served; nothing is looked up from a request's path. {@link #favicon()}
 * answers {@code /favicon.ico}, which browsers ask for on their own.
 */
public final class Assets {
  private static final Map<String, String> FILES = Map.of(
      "style.css", "text/css; charset=utf-8",
      "pages.js", "text/javascript; charset=utf-8",
      "console.js", "text/javascript; charset=utf-8",
      "portal.js", "text/javascript; charset=utf-8",
      "fleet.js", "text/javascript; charset=utf-8",
      "uplot.js", "text/javascript; charset=utf-8",
      "uplot.css", "text/css; charset=utf-8",
      "favicon.svg", "image/svg+xml");

  /** The files served from the uPlot webjar, by their path under its version's folder. */
  private static final Map<String, String> UPLOT = Map.of(
      "uplot.js", "dist/uPlot.iife.min.js",
      "uplot.css", "dist/uPlot.min.css");

  private final Map<String, byte[]> bytes = new HashMap<>();

  public Assets() {
    String uplot = "/META-INF/resources/webjars/uplot/" + webjarVersion("uplot") + "/";
    for (String name : FILES.keySet()) {
      String resource = UPLOT.containsKey(name) ? uplot + UPLOT.get(name) : "static/" + name;
      try (InputStream in = Assets.class.getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalStateException("missing resource " + resource);
        }
        bytes.put(name, in.readAllBytes());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** The version of the npm webjar {@code name} on the classpath, from its Maven properties. */
  private static String webjarVersion(String name) {
    String resource = "/META-INF/maven/org.webjars.npm/" + name + "/pom.properties";
    try (InputStream in = Assets.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + resource);
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
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
