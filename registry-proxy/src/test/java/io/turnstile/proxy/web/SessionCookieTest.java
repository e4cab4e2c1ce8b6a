package io.turnstile.proxy.web;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SessionCookieTest {
  @Test
  void overPlainHttp_theCookieIsHttpOnlyAndStrict_butNotSecure() {
    String c = new SessionCookie("turnstile_console", "/console", false).set("abc");
    assertThat(c).isEqualTo("turnstile_console=abc; Path=/console; HttpOnly; SameSite=Strict");
  }

  @Test
  void underTls_theCookieIsSecure() {
    assertThat(new SessionCookie("turnstile_portal", "/portal", true).set("abc")).endsWith("; Secure")
        .contains("HttpOnly").contains("SameSite=Strict");
  }

  @Test
  void clearing_expiresItAtOnceWithTheSameAttributes() {
    assertThat(new SessionCookie("turnstile_portal", "/portal", true).clear())
        .isEqualTo("turnstile_portal=; Max-Age=0; Path=/portal; HttpOnly; SameSite=Strict; Secure");
  }

  @Test
  void noMaxAge_theServerDecidesWhenASessionEnds() {
    assertThat(new SessionCookie("s", "/console", false).set("x")).doesNotContain("Max-Age").doesNotContain("Expires");
  }

  @Test
  void theSignInFormsCookie_followsTheSameRules() {
    SessionCookie pre = new SessionCookie("turnstile_console", "/console", true).preSignIn();
    assertThat(pre.name()).isEqualTo("turnstile_console_signin");
    assertThat(pre.set("t")).contains("HttpOnly").contains("SameSite=Strict").contains("Secure");
  }
}
