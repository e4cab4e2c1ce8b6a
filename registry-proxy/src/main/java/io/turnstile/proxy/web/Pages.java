package io.turnstile.proxy.web;

import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import java.util.Map;

/**
 * The HTML templates of {@code src/main/jte}, compiled to Java classes at build time (so a wrong
 * parameter fails the build) and rendered with every {@code ${value}} escaped for where it stands.
 */
public final class Pages {
  private final TemplateEngine engine =
      TemplateEngine.createPrecompiled(null, ContentType.Html, Pages.class.getClassLoader(), "io.turnstile.proxy.pages");

  /** Renders template {@code name} (e.g. {@code "console/licenses.jte"}) with {@code params}. */
  public String render(String name, Map<String, Object> params) {
    StringOutput out = new StringOutput();
    engine.render(name, params, out);
    return out.toString();
  }
}
