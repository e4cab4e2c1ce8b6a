package io.turnstile.proxy.console.oidc;

import java.util.regex.Pattern;

/**
 * Where a browser goes after signing in: a page of the console, or else the console's start page.
 * Only a plain path under {@code /console/} passes, so no sign-in can end on another site (an open
 * redirect): no scheme, no host, no {@code //} or backslash that a browser reads as one, no dot
 * segments, no characters beyond a path's and a query's.
 */
public final class ReturnPath {
  /** Where a sign-in goes when it was given no usable path. */
  public static final String DEFAULT = "/console/licenses";
  private static final Pattern ALLOWED = Pattern.compile("/console/[A-Za-z0-9._~%/?=&+-]{0,400}");

  private ReturnPath() {}

  /** {@code next} when it is a console path to return to, else {@link #DEFAULT}. */
  public static String of(String next) {
    if (next == null || !ALLOWED.matcher(next).matches() || next.contains("//") || next.contains("/.")
        || next.contains("%2") || next.contains("%5") || next.startsWith("/console/oidc/")
        || next.startsWith("/console/static/")) {
      return DEFAULT;
    }
    return next;
  }
}
