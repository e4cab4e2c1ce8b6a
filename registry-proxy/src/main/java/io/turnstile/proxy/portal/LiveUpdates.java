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
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
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
 * Last-Event-ID} and gets the current view at once when it changed meanwhile. A stream whose
 * session ended gets an {@code ended} event and closes. A comment every {@link #HEARTBEAT} keeps
 * idle timeouts and proxies from cutting a quiet stream.
 */
final class LiveUpdates implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LiveUpdates.class);
  static final Duration HEARTBEAT = Duration.ofSeconds(20);
  /** How soon a browser reconnects after a drop, in milliseconds. */
  static final int RETRY_MILLIS = 500;

  private final PortalSessions sessions;
  private final Function<PortalUser, String> render;
  private final Function<PortalUser, String> endedMessage;
  private final Set<Stream> streams = ConcurrentHashMap.newKeySet();
  private final ExecutorService worker;
  private final AtomicBoolean pending = new AtomicBoolean();
  private final LicenseStore.Subscription subscription;

  LiveUpdates(LicenseStore store, PortalSessions sessions, Function<PortalUser, String> render,
      Function<PortalUser, String> endedMessage) {
    this.sessions = sessions;
    this.render = render;
    this.endedMessage = endedMessage;
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
    for (Stream s : streams) {
      s.ctx.executor().execute(s::refresh);
    }
  }

  /** Opens a stream on {@code ctx} for {@code session}; {@code done} runs when it has ended. */
  void open(ChannelHandlerContext ctx, Sessions.Session<PortalUser> session, String lastEventId, Runnable done) {
    Stream s = new Stream(ctx, session.id(), session.principal(), lastEventId, done);
    streams.add(s);
    ctx.channel().closeFuture().addListener(f -> s.closed());
    s.start();
  }

  int openStreams() {
    return streams.size();
  }

  @Override
  public void close() {
    subscription.close();
    worker.shutdownNow();
    for (Stream s : streams) {
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
      this.sessionId = sessionId;
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
        long every = HEARTBEAT.toMillis();
        heartbeat = ctx.executor().scheduleAtFixedRate(() -> send(": keep-alive\n\n"), every, every, TimeUnit.MILLISECONDS);
      }
    }

    /** Sends the current view when it changed; ends the stream when its session did. */
    void refresh() {
      if (ended) {
        return;
      }
      boolean live = sessions.isLive(sessionId) && sessions.keyLives(user);
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
      if (!live) {
        sessions.end(sessionId);
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
      streams.remove(this);
      if (ctx.channel().isActive()) {
        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(f -> done.run());
      } else {
        done.run();
      }
    }

    void closed() {
      streams.remove(this);
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

  static String digest(String text) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
