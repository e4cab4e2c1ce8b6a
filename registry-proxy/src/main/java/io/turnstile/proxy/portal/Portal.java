package io.turnstile.proxy.portal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpRequest;
import io.turnstile.config.UpstreamConfig;
import io.turnstile.proxy.licensing.LicenseFiles;
import io.turnstile.proxy.limits.UsageMeter;
import io.turnstile.proxy.oci.PullSecrets;
import io.turnstile.proxy.oci.RegistryException;
import io.turnstile.proxy.token.LoginGuard;
import io.turnstile.proxy.upstream.UpstreamTags;
import io.turnstile.proxy.web.Assets;
import io.turnstile.proxy.web.Frame;
import io.turnstile.proxy.web.Pages;
import io.turnstile.proxy.web.SessionCookie;
import io.turnstile.proxy.web.Sessions;
import io.turnstile.proxy.web.WebRequest;
import io.turnstile.proxy.web.WebResponse;
import io.turnstile.store.Access;
import io.turnstile.store.AuthResult;
import io.turnstile.store.License;
import io.turnstile.store.LicenseState;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.Refusal;
import io.turnstile.store.StoreUnavailableException;
import java.net.InetAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The customer portal under {@code /portal} on the public listener. A customer signs in as for
 * {@code docker login}: a license id or customer id and its key, checked (and throttled) by the
 * same {@link LoginGuard}. The page shows the holder's licenses from the in-memory snapshot and
 * follows every change live ({@link LiveUpdates}). Sessions are kept in the store ({@link
 * PortalSessions}), so any replica serves any page: every request that needs its session is
 * answered from the blocking executor; static files, the sign-in page and open event streams stay
 * on the connection's event loop. The upstream tag lists that show what a range grants are listed
 * in the background ({@link UpstreamTagList}), and open pages follow when they come.
 *
 * <p>The key is checked and forgotten: sessions keep only the id of the credential. It is asked
 * again for the one answer that must contain it, the Kubernetes pull secret ({@link
 * PortalDownloads}).
 */
public final class Portal implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Portal.class);
  static final String PREFIX = "/portal";
  /** Default idle expiry of a portal session. */
  public static final Duration DEFAULT_IDLE = Duration.ofMinutes(30);
  private static final String REFUSED_FORM =
      "form refused: its security token is missing or wrong; reload the page and try again";

  private final LicenseStore store;
  private final LoginGuard logins;
  private final Clock clock;
  private final SessionCookie cookie;
  private final PortalSessions sessions;
  private final PortalView view;
  private final Pages pages = new Pages();
  private final Assets assets = new Assets();
  private final LiveUpdates live;
  private final PortalTokens tokens;
  private final PortalDownloads downloads;
  private final PortalUsage usage;
  private final Executor blocking;

  /**
   * @param secure whether the portal is reached over TLS (the listener's or a proxy's): the session
   *     cookie is then {@code Secure}
   * @param upstreamTags lists the upstream's tags, to show which versions a range grants; null to
   *     show ranges without them
   * @param upstreams the configured upstreams
   * @param blocking runs the store writes of the pull token forms and the reads of the fair-use
   *     counts, off the event loops
   * @param usage the fair-use counts, shown to the customer
   */
  public Portal(LicenseStore store, LoginGuard logins, ObjectMapper json, URI publicUrl, boolean secure, Duration idle,
      Clock clock, UpstreamTags upstreamTags, List<UpstreamConfig> upstreams, Executor blocking) {
    this(store, logins, json, publicUrl, secure, idle, clock, upstreamTags, upstreams, blocking, null, null);
  }

  /**
   * @param files signs the license files customers download; null: none are offered (404)
   * @param usage the fair-use counts shown to customers; null: none
   */
  public Portal(LicenseStore store, LoginGuard logins, ObjectMapper json, URI publicUrl, boolean secure, Duration idle,
      Clock clock, UpstreamTags upstreamTags, List<UpstreamConfig> upstreams, Executor blocking, LicenseFiles files,
      UsageMeter usage) {
    this.downloads = new PortalDownloads(store, logins, json, publicUrl, files);
    this.usage = new PortalUsage(usage);
    this.store = store;
    this.logins = logins;
    this.clock = clock;
    this.cookie = new SessionCookie("turnstile_portal", PREFIX, secure);
    this.sessions = new PortalSessions(store, idle, clock);
    this.view = new PortalView(PullSecrets.registryHost(publicUrl), "http".equals(publicUrl.getScheme()),
        upstreamTags == null ? null : new UpstreamTagList(upstreamTags, upstreams, this::tagsListed));
    this.tokens = new PortalTokens(store, blocking, clock, PullSecrets.registryHost(publicUrl));
    this.blocking = blocking;
    this.live = new LiveUpdates(store, sessions, this::licensesHtml, this::endedMessage, LiveUpdates.HEARTBEAT);
  }

  /** Whether {@code path} is the portal's. */
  public static boolean owns(String path) {
    return path.equals(PREFIX) || path.startsWith(PREFIX + "/");
  }

  /**
   * Answers one request under {@code /portal}: at once (static files, the sign-in page), or null
   * when the answer comes later through {@code later}, on the connection's event loop, or when the
   * request became an event stream that now owns the connection ({@code streamDone} runs when that
   * ends). A stream beyond what its session or key may open is answered {@code 429}.
   */
  public FullHttpResponse serve(ChannelHandlerContext ctx, WebRequest r, Runnable streamDone,
      Consumer<FullHttpResponse> later) {
    boolean head = r.method().equals("HEAD");
    try {
      String path = r.path().length() > PREFIX.length() ? r.path().substring(PREFIX.length()) : "/";
      if (r.isGet() && (path.startsWith("/static/") || path.equals("/sign-in"))) {
        return route(r, null).toHttp(head);
      }
      // Sessions are kept in the store: finding one this replica does not hold, starting and ending
      // one, and flashed values are database work, done off the event loop.
      Consumer<FullHttpResponse> onLoop = answer -> ctx.executor().execute(() -> later.accept(answer));
      if (path.equals("/events") && r.isGet() && !head) {
        blocking.execute(() -> {
          Sessions.Session<PortalUser> s = findQuietly(cookie.read(r));
          ctx.executor().execute(() -> {
            FullHttpResponse answer = events(ctx, r, s, streamDone);
            if (answer != null) {
              later.accept(answer);
            }
          });
        });
        return null;
      }
      blocking.execute(() -> {
        WebResponse answer;
        try {
          answer = route(r, w -> onLoop.accept(w.toHttp(head)));
        } catch (RuntimeException e) {
          // The database unreachable: what needs it waits for its return (sessions held here go on).
          if (StoreUnavailableException.of(e) != null) {
            log.warn("portal {} {} refused: {}", r.method(), r.path(), e.getMessage());
            answer = WebResponse.storeUnavailable();
          } else {
            log.error("portal {} {} failed", r.method(), r.path(), e);
            answer = WebResponse.text(500, "internal error");
          }
        }
        if (answer != null) {
          onLoop.accept(answer.toHttp(head));
        }
      });
      return null;
    } catch (RejectedExecutionException e) {
      return WebResponse.text(503, "busy, try again").toHttp(head);
    } catch (RuntimeException e) {
      log.error("portal {} {} failed", r.method(), r.path(), e);
      return WebResponse.text(500, "internal error").toHttp(head);
    }
  }

  /** The session, or null when there is none or the store cannot say (the stream then says signed out). */
  private Sessions.Session<PortalUser> findQuietly(String id) {
    try {
      return sessions.find(id);
    } catch (RuntimeException e) {
      log.warn("portal session lookup failed: {}", e.getMessage());
      return null;
    }
  }

  /** Opens the event stream of session {@code s} (found off the loop); on the connection's event loop. */
  private FullHttpResponse events(ChannelHandlerContext ctx, WebRequest r, Sessions.Session<PortalUser> s,
      Runnable streamDone) {
    if (s == null) {
      // No session (or it ended): an event stream cannot redirect, so say it and stop.
      return WebResponse.text(401, "signed out").toHttp(false);
    }
    String since = r.param("since");
    if (since != null && !LiveUpdates.isDigest(since)) {
      return WebResponse.text(400, "since must be the digest the portal page carries: 24 hex digits").toHttp(false);
    }
    // A reconnecting browser's last event is newer than the page it loaded.
    String shown = r.lastEventId() == null || r.lastEventId().isEmpty() ? since : r.lastEventId();
    LiveUpdates.Refused refused = live.open(ctx, s, shown, streamDone);
    return refused == null ? null : WebResponse.text(429, refused.message()).toHttp(false);
  }

  private WebResponse route(WebRequest r, Consumer<WebResponse> later) {
    String path = r.path().length() > PREFIX.length() ? r.path().substring(PREFIX.length()) : "/";
    if (path.startsWith("/static/") && r.isGet()) {
      WebResponse file = assets.get(path.substring("/static/".length()));
      return file != null ? file : WebResponse.text(404, "not found");
    }
    if (path.equals("/sign-in")) {
      if (r.isPost()) {
        return signIn(r);
      }
      return signInPage(200, r.param("ended") != null
          ? "Your session has ended: the key you signed in with was rotated or revoked, or you were away too long." : null, null);
    }
    Sessions.Session<PortalUser> s = sessions.find(cookie.read(r));
    if (s == null) {
      return r.isGet() ? WebResponse.redirect(PREFIX + "/sign-in")
          : WebResponse.text(403, "your portal session has ended: sign in again").cookie(cookie.clear());
    }
    if (r.isPost() && !s.csrfMatches(r.field("csrf"))) {
      log.warn("portal form refused: missing or wrong CSRF token on {}", r.path());
      return WebResponse.text(403, REFUSED_FORM);
    }
    if (r.isPost() && path.equals("/sign-out")) {
      sessions.end(s.id());
      live.sessionEnded(s.id());
      return WebResponse.redirect(PREFIX + "/sign-in").cookie(cookie.clear());
    }
    if (r.isPost() && path.equals("/pull-secret")) {
      return downloads.pullSecret(r, s);
    }
    if (r.isPost() && (path.equals("/tokens") || path.startsWith("/tokens/"))) {
      return tokens.serve(path.equals("/tokens") ? "create" : path.substring("/tokens/".length()), r, s, later);
    }
    if (r.isGet() && path.startsWith("/licenses/") && path.endsWith("/file") && downloads.offersLicenseFiles()) {
      return downloads.licenseFile(s.principal(), path.substring("/licenses/".length(), path.length() - "/file".length()));
    }
    if (r.isGet() && (path.equals("/") || path.isEmpty())) {
      // Already off the event loop (see serve): the fair-use counts are read from the store.
      return home(s);
    }
    return WebResponse.text(404, "not found");
  }

  /**
   * Finds the live access of the portal session {@code request} carries, for a download from the
   * portal (an air-gap bundle), off the event loop: the session may have to be read from the store.
   * {@code then} runs on the connection's event loop with the access, or null without a live session
   * or when its key no longer grants anything; a store that cannot say counts as no session.
   */
  public void sessionAccess(ChannelHandlerContext ctx, HttpRequest request, InetAddress client, Consumer<Access> then) {
    WebRequest r = WebRequest.of(request, new byte[0], client);
    blocking.execute(() -> {
      Sessions.Session<PortalUser> s = findQuietly(cookie.read(r));
      Access access = s != null && store.authorizeCredential(s.principal().credentialId()) instanceof Access a ? a : null;
      ctx.executor().execute(() -> then.accept(access));
    });
  }

  /** Whether {@code path} is a bundle download from the portal: {@code /portal/bundles/{licenseId}}. */
  public static String bundleLicense(String path) {
    String prefix = PREFIX + "/bundles/";
    return path.startsWith(prefix) && path.length() > prefix.length() ? path.substring(prefix.length()) : null;
  }

  /** The portal's page; blocking (the fair-use counts come from the store). */
  private WebResponse home(Sessions.Session<PortalUser> s) {
    PortalView.Model model = view.of(s.principal(), store.snapshot(), clock.instant());
    String licenses = licensesHtml(model);
    Map<String, Object> params = new HashMap<>();
    params.put("frame", new Frame("Your licenses · Turnstile", "portal", s.csrf(), s.take("notice", String.class),
        s.take("error", String.class)));
    params.put("model", model);
    params.put("licenses", licenses);
    params.put("tokens", tokens.sections(s.principal(), store.snapshot()));
    params.put("issued", s.take(PortalTokens.ISSUED, PortalTokens.Issued.class));
    List<PortalUsage.Row> rows;
    try {
      rows = usage.of(s.principal(), store.snapshot());
    } catch (io.turnstile.store.StoreException e) {
      // The page still serves its commands while the store is away; only the counts are missing.
      rows = List.of();
    }
    params.put("usage", rows);
    // The stream starts from what the page shows, so it sends only what changes after.
    params.put("stream", PREFIX + "/events?since=" + LiveUpdates.digest(licenses));
    return WebResponse.html(200, pages.render("portal/home.jte", params));
  }

  private WebResponse signInPage(int status, String notice, String error) {
    return pages.signInForm(status, "portal/signin.jte", new Frame("Sign in · Turnstile", "portal", null, notice, error),
        cookie);
  }

  private WebResponse signIn(WebRequest r) {
    if (!cookie.preSignIn().confirms(r)) {
      return WebResponse.text(403, REFUSED_FORM);
    }
    String username = r.field("username") == null ? "" : r.field("username").strip();
    AuthResult result;
    try {
      result = logins.authenticate(username, r.field("key"), r.client());
    } catch (RegistryException e) {
      return signInPage(429, null, "Too many failed sign-ins from your address; wait a minute and try again.");
    }
    if (!(result instanceof Access access)) {
      Refusal.Reason why = ((Refusal) result).reason();
      return signInPage(401, null, why == Refusal.Reason.BAD_CREDENTIALS
          ? "Wrong license id, customer id or key." : "You cannot sign in: " + why.message() + ".");
    }
    if (access.principal().isPullToken()) {
      // A token handed to a cluster or CI system must not reach the portal, where tokens are made.
      return signInPage(401, null, "A pull token cannot sign in to the portal: sign in with your license key or customer key.");
    }
    Sessions.Session<PortalUser> s = sessions.start(PortalUser.of(access.principal()));
    log.info("portal sign-in of {}", s.principal().username());
    return WebResponse.redirect(PREFIX + "/").cookie(cookie.set(s.id())).cookie(cookie.preSignIn().clear());
  }

  /** The licenses section of the page, as the live stream shows it. */
  private String licensesHtml(PortalUser user) {
    return licensesHtml(view.of(user, store.snapshot(), clock.instant()));
  }

  /** The licenses section of the page, as the page and the live stream both show it. */
  private String licensesHtml(PortalView.Model model) {
    return pages.render("portal/licenses.jte", Map.of("model", model));
  }

  /** A tag list the view waited for came: open pages render again, showing what their ranges grant. */
  private void tagsListed() {
    LiveUpdates l = live;
    if (l != null) {
      l.poke();
    }
  }

  private String endedMessage(PortalUser user) {
    if (user.licenseId() != null) {
      License l = store.snapshot().license(user.licenseId());
      if (l == null || l.state(clock.instant()) == LicenseState.REVOKED) {
        return "This license has been revoked. You have been signed out.";
      }
    }
    return "Your session has ended: the key you signed in with was rotated or revoked. Sign in again with the new key.";
  }

  /** Open portal sessions, for tests. */
  int sessionCount() {
    return sessions.size();
  }

  /** Open event streams, for tests. */
  int streamCount() {
    return live.openStreams();
  }

  @Override
  public void close() {
    live.close();
  }
}
