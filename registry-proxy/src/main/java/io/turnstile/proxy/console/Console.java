package io.turnstile.proxy.console;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.turnstile.proxy.admin.Actor;
import io.turnstile.proxy.admin.AdminApi;
import io.turnstile.proxy.admin.AdminToken;
import io.turnstile.proxy.console.oidc.OidcSignIn;
import io.turnstile.proxy.web.Assets;
import io.turnstile.proxy.web.Frame;
import io.turnstile.proxy.web.Pages;
import io.turnstile.proxy.web.SessionCookie;
import io.turnstile.proxy.web.SharedSessions;
import io.turnstile.proxy.web.Sessions;
import io.turnstile.proxy.web.WebRequest;
import io.turnstile.proxy.web.WebResponse;
import io.turnstile.store.StoreUnavailableException;
import io.turnstile.store.WebSessions;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The vendor console under {@code /console} on the admin listener: sign-in through the OpenID
 * Connect provider when {@code admin.oidc} is set ({@link ConsoleSignIn}), and with the admin token
 * (the break-glass way when a provider is set, the only one otherwise), then server-side sessions;
 * every form checked against the session's CSRF token; every change made through the admin API
 * ({@link AdminCalls}). Blocking: runs on the admin executor.
 *
 * <p>The admin token is read from the sign-in form, compared and forgotten: it is kept in no
 * session, page or log. A key appears on exactly one page, the one right after it was issued.
 */
public final class Console {
  private static final Logger log = LoggerFactory.getLogger(Console.class);
  static final String PREFIX = "/console";
  /** Default idle expiry of a console session. */
  public static final Duration DEFAULT_IDLE = Duration.ofMinutes(30);
  /** Most sessions one replica holds in memory. */
  private static final int MAX_SESSIONS = 1000;
  /** Most live sessions of one actor (a person, or everyone signed in with the admin token), on all replicas. */
  static final int MAX_PER_ACTOR = 100;

  /** Who a console session stands for, since {@code since}. */
  record Operator(Instant since, Actor actor) {}

  /** A console session's principal as the store keeps it: the actor and role; no credential. */
  static final SharedSessions.Codec<Operator> OPERATOR = new SharedSessions.Codec<>() {
    private final ObjectMapper json = new ObjectMapper();

    @Override
    public String write(Operator o) {
      return json.createObjectNode().put("since", o.since().toEpochMilli()).put("kind", o.actor().kind().name())
          .put("name", o.actor().name()).put("role", o.actor().role().name()).toString();
    }

    @Override
    public Operator read(String written) {
      try {
        var n = json.readTree(written);
        return new Operator(Instant.ofEpochMilli(n.required("since").asLong()), new Actor(
            Actor.Kind.valueOf(n.required("kind").asText()), n.required("name").asText(),
            io.turnstile.proxy.admin.Role.valueOf(n.required("role").asText())));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalArgumentException("not a console session's principal", e);
      }
    }

    @Override
    public String actor(Operator o) {
      return o.actor().recorded();
    }
  };

  private static final String FAVICON = "/favicon.ico";

  private final AdminApi api;
  private final ObjectMapper json;
  private final List<String> applications;
  private final String registryHost;
  private final AdminToken token;
  private final SignIns signIns;
  private final ConsoleSignIn sso;
  private final Sessions<Operator> sessions;
  private final SessionCookie cookie;
  private final Pages pages;
  private final Assets assets;
  private final Clock clock;

  /**
   * @param secure whether the admin listener speaks TLS: the session cookie is then {@code Secure}
   * @param applications the configured applications' names, for the license list's filter
   * @param registryHost the registry host customers log in to, for the {@code docker login} line
   * @param oidc sign-in through an OpenID Connect provider; null for the admin token only
   * @param signIns where every sign-in and refused sign-in is reported
   * @param stored where sessions are kept so that every replica finds them; null for this
   *     process's memory only
   */
  public Console(AdminApi api, AdminToken token, ObjectMapper json, List<String> applications,
      String registryHost, boolean secure, Duration idle, Clock clock, OidcSignIn oidc, SignIns signIns,
      WebSessions stored) {
    this.api = api;
    this.json = json;
    this.applications = List.copyOf(applications);
    this.registryHost = registryHost;
    this.token = token;
    this.signIns = signIns;
    this.clock = clock;
    this.sessions = new Sessions<>(idle, MAX_SESSIONS, MAX_PER_ACTOR, o -> o.actor().recorded(), clock,
        stored == null ? null : new SharedSessions<>(stored, "console", json, OPERATOR));
    this.cookie = new SessionCookie("turnstile_console", PREFIX, secure);
    this.pages = new Pages();
    this.sso = oidc == null ? null : new ConsoleSignIn(oidc, sessions, cookie, pages, signIns, clock, secure);
    this.assets = new Assets();
  }

  /**
   * Whether {@code path} is the console's: under {@value #PREFIX}, and {@code /favicon.ico}, which
   * browsers ask the admin listener for by themselves.
   */
  public static boolean owns(String path) {
    return path.equals(PREFIX) || path.startsWith(PREFIX + "/") || path.equals(FAVICON);
  }

  /** Answers one request under {@code /console}. */
  public WebResponse serve(WebRequest r) {
    try {
      WebResponse answer = route(r);
      return sso == null ? answer : sso.allowSignOutForms(answer);
    } catch (AdminCalls.Refused e) {
      return WebResponse.text(403, e.getMessage());
    } catch (RuntimeException e) {
      if (StoreUnavailableException.of(e) != null) {
        log.warn("console {} {} refused: {}", r.method(), r.path(), e.getMessage());
        return WebResponse.storeUnavailable();
      }
      log.error("console {} {} failed", r.method(), r.path(), e);
      return WebResponse.text(500, "internal error");
    }
  }

  private WebResponse route(WebRequest r) {
    if (r.path().equals(FAVICON)) {
      return r.isGet() ? assets.favicon() : WebResponse.text(405, "method not allowed");
    }
    String path = r.path().length() > PREFIX.length() ? r.path().substring(PREFIX.length()) : "/";
    if (path.startsWith("/static/") && r.isGet()) {
      WebResponse file = assets.get(path.substring("/static/".length()));
      return file != null ? file : WebResponse.text(404, "not found");
    }
    if (path.equals("/sign-in")) {
      return r.isPost() ? signIn(r) : signInPage(200, null, r.param("next"));
    }
    if (sso != null && path.startsWith("/oidc/") && r.isGet()) {
      WebResponse answer = sso.serve(path, r);
      if (answer != null) {
        return answer;
      }
    }
    Sessions.Session<Operator> session = sessions.find(cookie.read(r));
    if (session == null) {
      if (r.isGet()) {
        return WebResponse.redirect(PREFIX + "/sign-in" + (sso == null ? "" : "?next=" + ConsoleSignIn.encode(r.path())));
      }
      return WebResponse.text(403, "your console session has ended: sign in again").cookie(cookie.clear());
    }
    if (r.isPost() && !session.csrfMatches(r.field("csrf"))) {
      log.warn("console form refused: missing or wrong CSRF token on {}", r.path());
      return WebResponse.text(403, "form refused: its security token is missing or wrong; reload the page and try again");
    }
    if (!r.isGet() && !r.isPost()) {
      return WebResponse.text(405, "method not allowed");
    }
    if (path.equals("/sign-out") && r.isPost()) {
      sessions.end(session.id());
      URI atProvider = sso == null ? null : sso.signOut(session.id());
      return WebResponse.redirect(atProvider != null ? atProvider.toString() : PREFIX + "/sign-in")
          .cookie(cookie.clear());
    }
    if (path.equals("/") || path.isEmpty()) {
      return WebResponse.redirect(PREFIX + "/licenses");
    }
    Frame frame = frame(session, "Turnstile console");
    List<String> p = Arrays.asList(path.substring(1).split("/", -1));
    // Every call a page makes goes through the admin API as the session's operator: the role is
    // checked there, once, for pages and API alike.
    AdminCalls calls = new AdminCalls(api, json, session.principal().actor());
    WebResponse answer = TeamScreens.owns(p)
        ? new TeamScreens(calls, pages, clock).route(r, p, session, frame)
        : WebhookScreens.owns(p) ? new WebhookScreens(calls, pages).route(r, p, session, frame)
        : new ConsoleScreens(calls, pages, applications, registryHost, clock).route(r, p, session, frame);
    return answer != null ? answer : WebResponse.text(404, "not found");
  }

  private Frame frame(Sessions.Session<Operator> session, String title) {
    Actor actor = session.principal().actor();
    return new Frame(title, "console", session.csrf(), session.take("notice", String.class),
        session.take("error", String.class), actor.recorded(), actor.role().label(), outage());
  }

  /** The banner while the store's database is unreachable, or null. */
  private String outage() {
    java.time.Instant since = api.storeUnreachableSince();
    if (since == null) {
      return null;
    }
    return "The license database has been unreachable since "
        + java.time.format.DateTimeFormatter.ISO_INSTANT.format(since.truncatedTo(java.time.temporal.ChronoUnit.SECONDS))
        + ": edits are refused until it is back. Pulls go on from the last licenses this replica read.";
  }

  private WebResponse signInPage(int status, String error, String next) {
    Frame frame = new Frame("Sign in · Turnstile console", "console", null, null, error);
    return sso == null ? pages.signInForm(status, "console/signin.jte", frame, cookie)
        : sso.signInPage(status, frame, next);
  }

  private WebResponse signIn(WebRequest r) {
    if (!cookie.preSignIn().confirms(r)) {
      log.warn("console sign-in refused: missing or wrong CSRF token");
      return WebResponse.text(403, "form refused: its security token is missing or wrong; reload the page and try again");
    }
    long wait = token.secondsToWait(r.client());
    if (wait > 0) {
      signIns.failed(null, r.client(), "admin token throttled");
      return signInPage(429, "Too many wrong tokens from your address; wait " + wait + " s and try again.", null);
    }
    if (!token.matches(r.field("token"), r.client())) {
      signIns.failed(null, r.client(), "wrong admin token");
      return signInPage(401, "That is not the admin token.", null);
    }
    // A new session id, whatever the browser brought: a planted id never becomes a signed-in one.
    sessions.end(cookie.read(r));
    Sessions.Session<Operator> s = start(Actor.ADMIN_TOKEN);
    signIns.succeeded(Actor.ADMIN_TOKEN, r.client());
    return WebResponse.redirect(PREFIX + "/licenses").cookie(cookie.set(s.id())).cookie(cookie.preSignIn().clear());
  }

  /**
   * A new console session for {@code actor}, whose credential the caller has verified (the
   * admin-token form here); its id is the session cookie's value.
   */
  Sessions.Session<Operator> start(Actor actor) {
    return sessions.start(new Operator(clock.instant(), actor));
  }

  /** Live console sessions, for tests. */
  int sessionCount() {
    return sessions.size();
  }
}
