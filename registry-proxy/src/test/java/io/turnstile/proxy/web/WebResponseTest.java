package io.turnstile.proxy.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.FullHttpResponse;
import org.junit.jupiter.api.Test;

class WebResponseTest {
  @Test
  void everyAnswer_carriesTheSecurityHeaders() {
    FullHttpResponse r = WebResponse.html(200, "<p>x</p>").toHttp(false);
    try {
      assertThat(r.headers().get("Content-Security-Policy")).contains("default-src 'none'").contains("script-src 'self'")
          .contains("frame-ancestors 'none'").doesNotContain("unsafe");
      assertThat(r.headers().get("X-Frame-Options")).isEqualTo("DENY");
      assertThat(r.headers().get("X-Content-Type-Options")).isEqualTo("nosniff");
      assertThat(r.headers().get("Referrer-Policy")).isEqualTo("no-referrer");
      assertThat(r.headers().get("Cache-Control")).isEqualTo("no-store");
    } finally {
      r.release();
    }
  }

  @Test
  void aRedirect_isSeeOther_withItsCookies() {
    FullHttpResponse r = WebResponse.redirect("/console/licenses").cookie("a=b").cookie("c=d").toHttp(false);
    try {
      assertThat(r.status().code()).isEqualTo(303);
      assertThat(r.headers().get("Location")).isEqualTo("/console/licenses");
      assertThat(r.headers().getAll("Set-Cookie")).containsExactly("a=b", "c=d");
    } finally {
      r.release();
    }
  }

  @Test
  void templates_escapeEveryValue() {
    String html = new Pages().render("console/signin.jte", java.util.Map.of(
        "frame", new Frame("<script>alert(1)</script>", "console", null, null, "\"><img src=x onerror=alert(2)>"),
        "csrf", "\" onfocus=\"alert(3)"));
    assertThat(html).doesNotContain("<script>alert(1)").contains("&lt;script&gt;alert(1)&lt;/script&gt;")
        .doesNotContain("<img src=x").doesNotContain("\" onfocus=\"alert(3)");
  }
}
