package io.turnstile.proxy.web;

import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import java.util.HashMap;
import java.util.Map;

/**
 * The HTML templates of {@code src/main/jte}, compiled to Java classes at build time (so a wrong
 * parameter fails the build) and rendered with every {@code ${value}} escaped for where it stands.
 */
public final class Pages {
  private final TemplateEngine engine =
      TemplateEngine.createPrecompiled(null, ContentType.Html, Pages.class.getClassLoader(), "io.turnstile.proxy.pages");

  /**
   * A sign-in form page, {@code status}: template {@code name} rendered with {@code frame} and a
   * fresh CSRF token, which {@code cookie}'s pre-sign-in cookie carries too, for {@link
   * SessionCookie#confirms} to check when the form comes back (the double-submit pattern).
   */
  public WebResponse signInForm(int status, String name, Frame frame, SessionCookie cookie) {
    String csrf = Sessions.randomToken();
    Map<String, Object> params = new HashMap<>();
    params.put("frame", frame);
    params.put("csrf", csrf);
    return WebResponse.html(status, render(name, params)).cookie(cookie.preSignIn().set(csrf));
  }

  /** Renders template {@code name} (e.g. {@code "console/licenses.jte"}) with {@code params}. */
  public String render(String name, Map<String, Object> params) {
    StringOutput out = new StringOutput();
    engine.render(name, params, out);
    return out.toString();
  }
}
