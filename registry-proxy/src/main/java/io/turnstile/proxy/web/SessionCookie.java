package io.turnstile.proxy.web;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The cookie that carries a session id: {@code HttpOnly} (no script reads it), {@code
 * SameSite=Strict} (no other site's page sends it), {@code Secure} when the listener speaks TLS, and
 * scoped to its area's path. No {@code Max-Age}: the browser forgets it when closed and the server
 * ends it when idle.
 *
 * <p>Before sign-in there is no session; the sign-in form's CSRF token is checked against a second
 * cookie of the same kind ({@link #preSignIn}) that the form page sets, the double-submit pattern.
 */
public record SessionCookie(String name, String path, boolean secure) {
  public SessionCookie {
    if (!name.matches("[A-Za-z0-9_-]+")) {
      throw new IllegalArgumentException("bad cookie name " + name);
    }
  }

  /** The {@code Set-Cookie} value that stores {@code value}. */
  public String set(String value) {
    return name + "=" + value + attributes();
  }

  /** The {@code Set-Cookie} value that removes the cookie. */
  public String clear() {
    return name + "=; Max-Age=0" + attributes();
  }

  /** The cookie's value in {@code request}, or null. */
  public String read(WebRequest request) {
    return request.cookies().get(name);
  }

  /** The companion cookie that carries the sign-in form's CSRF token. */
  public SessionCookie preSignIn() {
    return new SessionCookie(name + "_signin", path, secure);
  }

  /**
   * Whether the sign-in form {@code request} carries, in its {@code csrf} field, the token its page
   * set in this pre-sign-in cookie (the double-submit check), compared in constant time.
   */
  public boolean confirms(WebRequest request) {
    String expected = read(request);
    String presented = request.field("csrf");
    return expected != null && presented != null
        && MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), presented.getBytes(StandardCharsets.UTF_8));
  }

  private String attributes() {
    return "; Path=" + path + "; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "");
  }
}
