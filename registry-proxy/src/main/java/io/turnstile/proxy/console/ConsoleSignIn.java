package io.turnstile.proxy.console;

import io.turnstile.proxy.console.Console.Operator;
import io.turnstile.proxy.console.oidc.OidcSignIn;
import io.turnstile.proxy.console.oidc.ReturnPath;
import io.turnstile.proxy.web.Frame;
import io.turnstile.proxy.web.Pages;
import io.turnstile.proxy.web.SessionCookie;
import io.turnstile.proxy.web.Sessions;
import io.turnstile.proxy.web.WebRequest;
import io.turnstile.proxy.web.WebResponse;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The console's pages for sign-in through the OpenID Connect provider: the sign-in page's link to
 * the provider, {@code /console/oidc/start} (to the provider, the attempt sealed in a cookie), {@code
 * /console/oidc/callback} (back from it: a new console session, or a page saying why not), and the
 * sign-out that continues at the provider.
 *
 * <p>The attempt's cookie is {@code SameSite=Lax}, the one cookie a browser brings back on the
 * provider's cross-site redirect; the session cookie stays {@code Strict}, so the callback answers
 * with a page that moves on by itself rather than with a redirect (a redirect at the end of a chain
 * that began at another site would not carry a {@code Strict} cookie).
 */
final class ConsoleSignIn {
  private static final Logger log = LoggerFactory.getLogger(ConsoleSignIn.class);
  private static final String PENDING_COOKIE = "turnstile_console_oidc";

  private final OidcSignIn oidc;
  private final Sessions<Operator> sessions;
  private final SessionCookie cookie;
  private final Pages pages;
  private final SignIns signIns;
  private final Clock clock;
  private final String pendingAttributes;

  ConsoleSignIn(OidcSignIn oidc, Sessions<Operator> sessions, SessionCookie cookie, Pages pages, SignIns signIns,
      Clock clock, boolean secure) {
    this.oidc = oidc;
    this.sessions = sessions;
    this.cookie = cookie;
    this.pages = pages;
    this.signIns = signIns;
    this.clock = clock;
    this.pendingAttributes = "; Path=" + Console.PREFIX + "/oidc; HttpOnly; SameSite=Lax"
        + (secure ? "; Secure" : "");
  }

  /** The answer to GET {@code path} under {@code /console/oidc/}; null when there is no such page. */
  WebResponse serve(String path, WebRequest r) {
    return switch (path) {
      case "/oidc/start" -> start(r);
      case "/oidc/callback" -> callback(r);
      default -> null;
    };
  }

  /** The sign-in page: the provider's button, and the admin token's form as the break-glass way. */
  WebResponse signInPage(int status, Frame frame, String next) {
    String csrf = Sessions.randomToken();
    Map<String, Object> params = new HashMap<>();
    params.put("frame", frame);
    params.put("csrf", csrf);
    params.put("start", "/console/oidc/start?next=" + encode(ReturnPath.of(next)));
    return WebResponse.html(status, pages.render("console/signin-sso.jte", params))
        .cookie(cookie.preSignIn().set(csrf));
  }

  /**
   * Where sign-out continues: the provider's end-session endpoint when it has one and the session
   * signed in through it, else null.
   */
  URI signOut(String sessionId) {
    return oidc.signOut(sessionId);
  }

  /**
   * {@code answer}, its Content-Security-Policy letting forms lead to the provider's end-session
   * endpoint as well: the sign-out button's answer redirects there, and browsers hold a form's
   * redirects to {@code form-action}.
   */
  WebResponse allowSignOutForms(WebResponse answer) {
    String origin = oidc.signOutOrigin();
    if (origin == null || origin.contains(";") || origin.contains(" ")) {
      return answer;
    }
    return answer.header("Content-Security-Policy",
        WebResponse.CONTENT_SECURITY_POLICY.replace("form-action 'self'", "form-action 'self' " + origin));
  }

  private WebResponse start(WebRequest r) {
    OidcSignIn.Start start;
    try {
      start = oidc.start(r.param("next"));
    } catch (OidcSignIn.Unavailable e) {
      log.warn("console sign-in: {}", e.getMessage());
      return signInPage(502, new Frame("Sign in · Turnstile console", "console", null, null,
          "The identity provider cannot be reached. Try again in a moment; the admin token still signs in."),
          r.param("next"));
    }
    return WebResponse.redirect(start.authorize().toString())
        .cookie(PENDING_COOKIE + "=" + start.pending() + "; Max-Age=" + OidcSignIn.PENDING.toSeconds() + pendingAttributes);
  }

  private WebResponse callback(WebRequest r) {
    OidcSignIn.Outcome outcome = oidc.finish(r.query(), r.cookies().get(PENDING_COOKIE));
    String clearPending = PENDING_COOKIE + "=; Max-Age=0" + pendingAttributes;
    if (outcome instanceof OidcSignIn.Refused refused) {
      signIns.failed(refused.who(), r.client(), refused.why());
      Map<String, Object> params = new HashMap<>();
      params.put("frame", new Frame("Not signed in · Turnstile console", "console", null, null, null));
      params.put("message", refused.message());
      params.put("values", refused.claimValues());
      params.put("noRole", refused.who() != null);
      return WebResponse.html(refused.status(), pages.render("console/refused.jte", params)).cookie(clearPending);
    }
    OidcSignIn.SignedIn in = (OidcSignIn.SignedIn) outcome;
    // A new session id, whatever the browser brought: a planted id never becomes a signed-in one.
    sessions.end(cookie.read(r));
    Sessions.Session<Operator> s = sessions.start(new Operator(clock.instant(), in.actor()));
    oidc.signedIn(s.id(), in.idToken());
    signIns.succeeded(in.actor(), r.client());
    Map<String, Object> params = new HashMap<>();
    params.put("frame", new Frame("Signed in · Turnstile console", "console", null, null, null));
    params.put("to", in.returnTo());
    return WebResponse.html(200, pages.render("console/continue.jte", params))
        .cookie(cookie.set(s.id())).cookie(clearPending);
  }

  /** {@code s} as one query parameter value. */
  static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
