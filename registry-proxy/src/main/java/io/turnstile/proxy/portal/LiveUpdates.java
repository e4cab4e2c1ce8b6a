package io.turnstile.proxy.portal;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import io.turnstile.proxy.web.Sessions;
import io.turnstile.proxy.web.WebResponse;
import io.turnstile.store.LicenseStore;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The portal's live view: one Server-Sent Events stream per open portal page, fed by the store's
 * snapshot announcements ({@link LicenseStore#onSnapshot}). Every replica's snapshot follows every
 * write, so every replica's streams do too.
 *
 * <p>After a change, dead sessions end first; then each stream, on its own event loop, renders its
 * holder's licenses again and sends them when they differ from what it sent last. The event id is
 * a digest of what was sent: a browser reconnecting after a drop sends it back as {@code
 * Last-Event-ID} and gets the current view at once when it changed meanwhile. A page carries the
 * same digest of the section it was rendered with, so that its first stream sends nothing until
 * something changes.
 *
 * <p>A stream lives only as long as its session. When the key behind it stops signing in, it gets
 * that last view, then an {@code ended} event, and closes. When the session itself ends (signed
 * out, idle too long, pushed out by a newer one), it gets {@code ended} at once, at sign-out, or
 * else at its next refresh or heartbeat (idle too long: the second, since the session may be in
 * use on another replica and the first asks the store), and never another view. A comment every heartbeat
 * (default {@link #HEARTBEAT}) keeps idle timeouts and proxies from cutting a quiet stream.
 *
 * <p>One session opens at most {@link #MAX_PER_SESSION} streams and one key at most {@link
 * #MAX_PER_CREDENTIAL}, so that no holder can fill the public listener's connections with them.
 */
final class LiveUpdates implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LiveUpdates.class);
  static final Duration HEARTBEAT = Duration.ofSeconds(20);
  /** How soon a browser reconnects after a drop, in milliseconds. */
  static final int RETRY_MILLIS = 500;
  private static final Pattern DIGEST = Pattern.compile("[0-9a-f]{24}");
  static final int MAX_PER_SESSION = 4;
  static final int MAX_PER_CREDENTIAL = 8;
  /** What a stream says when its session ended while its key still signs in. */
  static final String SESSION_ENDED = "Your session has ended: you signed out, were away too long, "
      + "or signed in with this key in many other places. Sign in again.";

  /** Why a stream was not opened; {@link #message} is the answer's text. */
  enum Refused {
    SESSION("too many live portal pages in this session (at most " + MAX_PER_SESSION
        + "): close one and reload this page"),
    CREDENTIAL("too many live portal pages signed in with this key (at most " + MAX_PER_CREDENTIAL
        + "): close one and reload this page");

    private final String message;

    Refused(String message) {
      this.message = message;
    }

    String message() {
      return message;
    }
  }

  private final PortalSessions sessions;
  private final Function<PortalUser, String> render;
  private final Function<PortalUser, String> endedMessage;
  private final Duration heartbeatEvery;
  /** The open streams by session id, and their number by credential. Guarded by {@code this}. */
  private final Map<String, Set<Stream>> bySession = new HashMap<>();
  private final Map<String, Integer> byCredential = new HashMap<>();
  private final ExecutorService worker;
  private final AtomicBoolean pending = new AtomicBoolean();
  private final LicenseStore.Subscription subscription;

  /**
   * @param render a holder's licenses section, as the page shows it
   * @param endedMessage what a stream says when the key behind it stopped signing in
   * @param heartbeat how often a quiet stream sends a comment and checks its session
   */
  LiveUpdates(LicenseStore store, PortalSessions sessions, Function<PortalUser, String> render,
      Function<PortalUser, String> endedMessage, Duration heartbeat) {
    if (heartbeat.isNegative() || heartbeat.isZero()) {
      throw new IllegalArgumentException("heartbeat must be positive, not " + heartbeat);
    }
    this.sessions = sessions;
    this.render = render;
    this.endedMessage = endedMessage;
    this.heartbeatEvery = heartbeat;
    this.worker = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "turnstile-portal-live");
      t.setDaemon(true);
      return t;
    });
    this.subscription = store.onSnapshot(this::changed);
  }

  /** Something the view shows changed besides the snapshot: every stream renders again. */
  void poke() {
    changed();
  }

  /** Called where the snapshot is published: hands the work on, several changes in a row once. */
  private void changed() {
    if (pending.compareAndSet(false, true)) {
      try {
        worker.execute(this::refreshAll);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        pending.set(false);
      }
    }
  }

  private void refreshAll() {
    pending.set(false);
    try {
      sessions.endDead().forEach(s -> log.info("portal session of {} ended: its key no longer signs in",
          s.principal().username()));
    } catch (RuntimeException e) {
      log.warn("cannot check the portal's sessions", e);
    }
    for (Stream s : streams()) {
      s.ctx.executor().execute(s::refresh);
    }
  }

  /**
   * Opens a stream on {@code ctx} for {@code session}, unless the session or its key has as many
   * open as it may; {@code done} runs when the stream has ended.
   *
   * @param shown the digest of the licenses section the browser shows (the id of the last event it
   *     got, or the one its page was rendered with), or null: the stream sends the current view
   *     only when it differs
   * @return null when the stream is open; else why not, and nothing was written
   */
  Refused open(ChannelHandlerContext ctx, Sessions.Session<PortalUser> session, String shown, Runnable done) {
    Stream s = new Stream(ctx, session.id(), session.principal(), shown, done);
    Refused refused = admit(s);
    if (refused != null) {
      return refused;
    }
    ctx.channel().closeFuture().addListener(f -> s.closed());
    s.start();
    return null;
  }

  /** Ends the streams of session {@code sessionId} at once: it was signed out. */
  void sessionEnded(String sessionId) {
    List<Stream> ending;
    synchronized (this) {
      ending = List.copyOf(bySession.getOrDefault(sessionId, Set.of()));
    }
    for (Stream s : ending) {
      s.ctx.executor().execute(s::checkSession);
    }
  }

  private synchronized Refused admit(Stream s) {
    Set<Stream> own = bySession.getOrDefault(s.sessionId, Set.of());
    if (own.size() >= MAX_PER_SESSION) {
      return Refused.SESSION;
    }
    if (byCredential.getOrDefault(s.user.credentialId(), 0) >= MAX_PER_CREDENTIAL) {
      return Refused.CREDENTIAL;
    }
    bySession.computeIfAbsent(s.sessionId, k -> new LinkedHashSet<>()).add(s);
    byCredential.merge(s.user.credentialId(), 1, Integer::sum);
    return null;
  }

  /** Forgets an ended stream; once only, however it ended. */
  private synchronized void forget(Stream s) {
    Set<Stream> own = bySession.get(s.sessionId);
    if (own == null || !own.remove(s)) {
      return;
    }
    if (own.isEmpty()) {
      bySession.remove(s.sessionId);
    }
    byCredential.computeIfPresent(s.user.credentialId(), (k, n) -> n == 1 ? null : n - 1);
  }

  private synchronized List<Stream> streams() {
    List<Stream> all = new ArrayList<>();
    bySession.values().forEach(all::addAll);
    return all;
  }

  synchronized int openStreams() {
    return bySession.values().stream().mapToInt(Set::size).sum();
  }

  @Override
  public void close() {
    subscription.close();
    worker.shutdownNow();
    for (Stream s : streams()) {
      s.ctx.executor().execute(s::end);
    }
  }

  private final class Stream {
    final ChannelHandlerContext ctx;
    final String sessionId;
    final PortalUser user;
    final Runnable done;
    String lastId;
    boolean ended;
    ScheduledFuture<?> heartbeat;

    Stream(ChannelHandlerContext ctx, String sessionId, PortalUser user, String lastId, Runnable done) {
      this.ctx = ctx;
      this.sessionId = Objects.requireNonNull(sessionId, "sessionId");
      this.user = user;
      this.lastId = lastId;
      this.done = done;
    }

    void start() {
      HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
      WebResponse.secure(head.headers());
      head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
      head.headers().set("X-Accel-Buffering", "no");
      HttpUtil.setTransferEncodingChunked(head, true);
      HttpUtil.setKeepAlive(head, false);
      ctx.write(head);
      send("retry: " + RETRY_MILLIS + "\n\n");
      refresh();
      if (!ended) {
        long every = heartbeatEvery.toMillis();
        heartbeat = ctx.executor().scheduleAtFixedRate(this::beat, every, every, TimeUnit.MILLISECONDS);
      }
    }

    /**
     * The heartbeat. The session is judged from memory here; a session this replica has not seen
     * for the idle time may be in use on another, so the worker asks the store meanwhile, and one
     * idle everywhere is gone from memory by the next heartbeat, which ends the stream.
     */
    private void beat() {
      if (!checkSession()) {
        send(": keep-alive\n\n");
        try {
          worker.execute(this::checkElsewhere);
        } catch (java.util.concurrent.RejectedExecutionException e) {
          // Closing: the stream ends with the connection.
        }
      }
    }

    private void checkElsewhere() {
      try {
        sessions.isLiveChecked(sessionId);
      } catch (RuntimeException e) {
        // The store cannot say: the stream goes on; the next page load decides.
        log.warn("cannot check a portal session: {}", e.getMessage());
      }
    }

    /** Ends the stream, without another view, when its session has ended; says whether it had. */
    boolean checkSession() {
      if (ended) {
        return true;
      }
      if (sessions.isLive(sessionId)) {
        return false;
      }
      send("event: ended\n" + data(SESSION_ENDED) + "\n");
      end();
      return true;
    }

    /**
     * Sends the current view when it changed. When the key stopped signing in, that view is the
     * last: the session and the stream end. When only the session ended, the stream ends at once.
     */
    void refresh() {
      if (ended) {
        return;
      }
      boolean keyLives = sessions.keyLives(user);
      if (keyLives && checkSession()) {
        return;
      }
      String html;
      try {
        html = render.apply(user);
      } catch (RuntimeException e) {
        log.warn("cannot render the portal view of {}", user.username(), e);
        return;
      }
      String id = digest(html);
      if (!id.equals(lastId)) {
        lastId = id;
        send("id: " + id + "\nevent: licenses\n" + data(html) + "\n");
      }
      if (!keyLives) {
        sessions.endHere(sessionId);
        send("event: ended\n" + data(endedMessage.apply(user)) + "\n");
        end();
      }
    }

    private void send(String text) {
      if (!ended && ctx.channel().isActive()) {
        ctx.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8)));
      }
    }

    void end() {
      if (ended) {
        return;
      }
      ended = true;
      if (heartbeat != null) {
        heartbeat.cancel(false);
      }
      forget(this);
      if (ctx.channel().isActive()) {
        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(f -> done.run());
      } else {
        done.run();
      }
    }

    void closed() {
      forget(this);
      if (heartbeat != null) {
        heartbeat.cancel(false);
      }
      ended = true;
    }
  }

  /** Every line of {@code text} as an event's data lines. */
  static String data(String text) {
    StringBuilder b = new StringBuilder();
    for (String line : text.split("\r\n|\r|\n", -1)) {
      b.append("data: ").append(line).append('\n');
    }
    return b.toString();
  }

  /** Whether {@code text} has the form of a {@link #digest}. */
  static boolean isDigest(String text) {
    return DIGEST.matcher(text).matches();
  }

  /** The first 12 bytes of the SHA-256 of {@code text}, in lowercase hex: an event's id. */
  static String digest(String text) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
