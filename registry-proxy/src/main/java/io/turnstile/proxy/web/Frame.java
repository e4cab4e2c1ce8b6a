package io.turnstile.proxy.web;

/**
 * What the page layout needs besides the page's own content.
 *
 * @param area {@code "console"} or {@code "portal"}: the path prefix of links and files
 * @param csrf the session's CSRF token for the forms of the page (the sign-out button too); null
 *     when nobody is signed in
 * @param notice a one-time message of success, or null
 * @param error a one-time message of failure, or null
 * @param operator who is signed in to the console, as the activity log names them; null elsewhere
 * @param role the console operator's role label ({@code viewer}, {@code editor}, {@code admin});
 *     null elsewhere. It only decides which buttons a page shows: the admin API checks every call.
 * @param outage a banner at the top of every page saying the license store's database is
 *     unreachable, and since when; null while it answers (and always outside the console)
 */
public record Frame(String title, String area, String csrf, String notice, String error, String operator,
    String role, String outage) {
  /** A frame with no console operator: the portal's pages and the sign-in page. */
  public Frame(String title, String area, String csrf, String notice, String error) {
    this(title, area, csrf, notice, error, null, null, null);
  }

  public boolean signedIn() {
    return csrf != null;
  }

  /** Whether the page shows the buttons that change customers, licenses and keys (editor and admin). */
  public boolean mayEdit() {
    return "editor".equals(role) || "admin".equals(role);
  }

  /** Whether the page shows what only an admin may do (everyone's API tokens, signing keys). */
  public boolean mayAdminister() {
    return "admin".equals(role);
  }

  public String script() {
    return "/" + area + "/static/" + area + ".js";
  }

  public String style() {
    return "/" + area + "/static/style.css";
  }
}
