package io.turnstile.proxy.web;

/**
 * What the page layout needs besides the page's own content.
 *
 * @param area {@code "console"} or {@code "portal"}: the path prefix of links and files
 * @param csrf the session's CSRF token for the forms of the page (the sign-out button too); null
 *     when nobody is signed in
 * @param notice a one-time message of success, or null
 * @param error a one-time message of failure, or null
 * @param who who is signed in, as the page header names them (e.g. {@code alice@vendor.example
 *     (editor)}); null to name nobody
 */
public record Frame(String title, String area, String csrf, String notice, String error, String who) {
  /** A frame that names nobody in its header. */
  public Frame(String title, String area, String csrf, String notice, String error) {
    this(title, area, csrf, notice, error, null);
  }

  public boolean signedIn() {
    return csrf != null;
  }

  public String script() {
    return "/" + area + "/static/" + area + ".js";
  }

  public String style() {
    return "/" + area + "/static/style.css";
  }
}
