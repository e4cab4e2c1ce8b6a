package io.turnstile.proxy.upstream;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.turnstile.config.BlobRedirects;
import io.turnstile.config.UpstreamConfig;
import io.turnstile.proxy.concurrent.EventLoops;
import io.turnstile.proxy.observe.UpstreamMetrics;
import io.turnstile.proxy.oci.RegistryException;
import io.turnstile.store.UpstreamCredentials;
import java.net.URI;
import java.util.Map;

/**
 * One request to an upstream, with what it takes to get a usable answer. A registry call goes to
 * the upstream and authenticates as the upstream asks (Basic, or a Bearer token fetched after a
 * challenge and retried once). A token call goes to the token realm an upstream named, with one
 * given Authorization header and no such dance. Both share one policy: credentials go to the
 * origin they were given for and nowhere else, so a followed redirect (see {@link RedirectPolicy})
 * that leaves that origin leaves them behind; the upstream's timeouts apply, and its trust store to
 * its own origin and its token realm's; a pooled connection found stale is retried once on a fresh
 * one. Where each connection comes from and where it goes back to is {@link ExchangeConnection}'s.
 * Not thread-safe: every method runs on {@code loop}.
 */
final class Exchange {
  private enum State { STARTING, AWAITING_HEAD, STREAMING, DISCARDING, DONE }

  private final UpstreamClient client;
  private final EventLoop loop;
  private final UpstreamConfig upstream;
  private final UpstreamCredentials creds;
  private final UpstreamRequest request;
  private final ResponseSink sink;
  /** What {@code request.path()} is relative to: the upstream, or the token realm. */
  private final URI base;
  /** Where the credentials may go: the origin of {@code base}. */
  private final Origin origin;
  /** A token call: no auth dance, every redirect followed, failures blamed on the token service. */
  private final boolean tokenCall;
  private final String peer;
  private final RedirectPolicy redirects;
  private final UpstreamMetrics.Calls meter;
  private final ExchangeConnection connection;
  private long startNanos;

  private State state = State.STARTING;
  private Channel channel;
  private boolean waitingForData;
  private String authorization;
  /** Where a followed redirect led; null while at {@code base}. */
  private URI target;
  private boolean authRetried;
  private boolean staleRetried;
  private boolean keepAlive;
  private boolean notified;

  private Exchange(UpstreamClient client, EventLoop loop, UpstreamConfig upstream, UpstreamCredentials creds,
      UpstreamRequest request, ResponseSink sink, URI base, String authorization, boolean tokenCall) {
    this.client = client;
    this.loop = loop;
    this.upstream = upstream;
    this.creds = creds;
    this.request = request;
    this.sink = sink;
    this.base = base;
    this.origin = Origin.of(base);
    this.authorization = authorization;
    this.tokenCall = tokenCall;
    this.peer = tokenCall ? ExchangeFailures.TOKEN_SERVICE : ExchangeFailures.REGISTRY;
    RedirectPolicy.Mode mode = tokenCall || request.blob() && upstream.blobRedirects() == BlobRedirects.FOLLOW
        ? RedirectPolicy.Mode.ALL : request.blob() ? RedirectPolicy.Mode.SAME_ORIGIN : RedirectPolicy.Mode.NONE;
    this.redirects = new RedirectPolicy(mode, origin, peer);
    this.meter = client.metrics().of(upstream.name(), tokenCall);
    this.connection = new ExchangeConnection(client.connections(), loop, upstream, origin, peer);
  }

  /** A call to {@code upstream} as {@code creds} (null: anonymous), authenticating as it asks. */
  static Exchange registryCall(UpstreamClient client, EventLoop loop, UpstreamConfig upstream, UpstreamCredentials creds,
      UpstreamRequest request, ResponseSink sink) {
    return new Exchange(client, loop, upstream, creds, request, sink, upstream.url(), null, false);
  }

  /**
   * A GET of {@code realm}, an absolute http(s) URL an upstream's challenge named, sending
   * {@code authorization} (null: none) to the realm's origin only, over the upstream's TLS settings.
   */
  static Exchange tokenCall(UpstreamClient client, EventLoop loop, UpstreamConfig upstream, URI realm,
      String authorization, ResponseSink sink) {
    UpstreamRequest get = new UpstreamRequest("GET", Origin.pathAndQuery(realm), null,
        Map.of(HttpHeaderNames.ACCEPT.toString(), "application/json"), false);
    return new Exchange(client, loop, upstream, null, get, sink, realm, authorization, true);
  }

  void start() {
    startNanos = System.nanoTime();
    RegistryException held = tokenCall ? null : client.rateLimits().heldBack(upstream.name());
    if (held != null) {
      // Not made at all, so neither answered nor failed at the upstream: no meter counts it.
      state = State.DONE;
      notified = true;
      sink.onError(held);
      return;
    }
    if (tokenCall) {
      connect();
      return;
    }
    EventLoops.whenDone(loop, client.auth().authorization(loop, upstream, creds, request.repository()), (header, error) -> {
      if (error != null) {
        fail(ExchangeFailures.auth(error));
        return;
      }
      authorization = header;
      connect();
    });
  }

  private void connect() {
    state = State.AWAITING_HEAD;
    connection.open(target == null ? base : target, this::send, this::fail);
  }

  private void send(Channel ch) {
    if (state == State.DONE) {
      connection.release(ch, true);
      return;
    }
    channel = ch;
    ch.pipeline().get(ExchangeHandler.class).bind(this);
    String pathAndQuery = target == null ? request.path() : Origin.pathAndQuery(target);
    Origin to = Origin.of(target == null ? base : target);
    FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(request.method()),
        pathAndQuery.isEmpty() ? "/" : pathAndQuery);
    r.headers().set(HttpHeaderNames.HOST, to.hostHeader());
    r.headers().set(HttpHeaderNames.USER_AGENT, "turnstile");
    for (Map.Entry<String, String> h : request.headers().entrySet()) {
      r.headers().set(h.getKey(), h.getValue());
    }
    // Credentials go to the origin they were given for, never to a redirect target elsewhere.
    if (authorization != null && to.equals(origin)) {
      r.headers().set(HttpHeaderNames.AUTHORIZATION, authorization);
    }
    waitingForData = true;
    // The read timeout counts from this request: a pooled connection's clock would otherwise run
    // from its last read, possibly long before, and fire mid-wait.
    IdleStateHandler idle = ch.pipeline().get(IdleStateHandler.class);
    if (idle != null) {
      idle.resetReadTimeout();
    }
    ch.writeAndFlush(r).addListener(w -> {
      if (!w.isSuccess()) {
        onClosed(w.cause());
      }
    });
    ch.read();
  }

  /** The client went away: stop, and close the upstream connection if one is in use. */
  void cancel() {
    state = State.DONE;
    notified = true;
    connection.cancel();
    finishChannel(false);
  }

  void onMessage(Object msg) {
    waitingForData = false;
    if (state == State.DONE) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof HttpResponse head) {
      onHead(head);
    }
    if (msg instanceof HttpContent content) {
      onContent(content);
    } else if (state != State.DONE) {
      readMore();
    }
  }

  private void onHead(HttpResponse head) {
    if (head.status().code() == 100) {
      return;
    }
    keepAlive = HttpUtil.isKeepAlive(head);
    int status = head.status().code();
    if (status == 401 && !tokenCall && target == null) {
      onChallenge(head);
      return;
    }
    RedirectPolicy.Redirect redirect;
    try {
      redirect = redirects.decide(status, head.headers().get(HttpHeaderNames.LOCATION), asked());
    } catch (RegistryException e) {
      abandon(e);
      return;
    }
    if (redirect != null && redirect.follow()) {
      state = State.DISCARDING;
      finishChannel(false);
      target = redirect.location();
      state = State.STARTING;
      connect();
      return;
    }
    if (redirect != null) {
      head.headers().set(HttpHeaderNames.LOCATION, redirect.location().toString());
    }
    state = State.STREAMING;
    meter.answered(status, System.nanoTime() - startNanos);
    if (status == 429 && !tokenCall) {
      client.rateLimits().limited(upstream.name(), head.headers().get(HttpHeaderNames.RETRY_AFTER));
    }
    sink.onHead(head);
  }

  /** The URL last asked for, which a relative Location is resolved against. */
  private URI asked() {
    if (target != null) {
      return target;
    }
    try {
      return base.resolve(request.path());
    } catch (IllegalArgumentException e) {
      return base;
    }
  }

  /** The upstream wants other credentials: learn from its challenge and retry, once. */
  private void onChallenge(HttpResponse head) {
    if (authRetried) {
      abandon(ExchangeFailures.failed("the upstream registry rejected Turnstile's credentials for this repository"));
      return;
    }
    authRetried = true;
    String challenge = head.headers().get(HttpHeaderNames.WWW_AUTHENTICATE);
    String rejected = authorization;
    state = State.DISCARDING;
    finishChannel(false);
    EventLoops.whenDone(loop, client.auth().afterChallenge(loop, upstream, creds, request.repository(), challenge, rejected),
        (header, error) -> {
          if (error != null) {
            fail(ExchangeFailures.auth(error));
          } else if (header == null) {
            fail(ExchangeFailures.failed("the upstream registry rejected Turnstile's credentials for this repository"));
          } else {
            authorization = header;
            state = State.STARTING;
            connect();
          }
        });
  }

  /** Gives up on the answer being read: closes its connection and fails. */
  private void abandon(RegistryException e) {
    state = State.DISCARDING;
    finishChannel(false);
    fail(e);
  }

  private void onContent(HttpContent content) {
    boolean last = content instanceof LastHttpContent;
    if (state == State.STREAMING) {
      if (last) {
        state = State.DONE;
        notified = true;
        finishChannel(keepAlive);
        sink.onContent(content, true, () -> { });
      } else {
        sink.onContent(content, false, this::readMore);
      }
      return;
    }
    content.release();
    if (last && state == State.DISCARDING) {
      state = State.DONE;
    }
  }

  private void readMore() {
    if (channel != null && state != State.DONE) {
      waitingForData = true;
      channel.read();
    }
  }

  void onTimeout() {
    if (!waitingForData || state == State.DONE) {
      return;
    }
    finishChannel(false);
    fail(ExchangeFailures.timedOut(peer));
  }

  void onClosed(Throwable cause) {
    if (state == State.DONE || state == State.DISCARDING) {
      if (state == State.DISCARDING) {
        finishChannel(false);
      }
      return;
    }
    boolean beforeHead = state == State.AWAITING_HEAD;
    finishChannel(false);
    if (beforeHead && connection.reused() && !staleRetried) {
      // A pooled keep-alive connection the upstream had already closed: retry once on a new one.
      staleRetried = true;
      state = State.STARTING;
      connect();
      return;
    }
    fail(ExchangeFailures.closed(peer, cause, beforeHead));
  }

  /** Tells the sink, once, that the exchange failed. */
  private void fail(RegistryException e) {
    state = State.DONE;
    if (notified) {
      return;
    }
    notified = true;
    meter.failed(e.error());
    sink.onError(e);
  }

  /** Hands the connection back (kept alive) or closes it; the exchange lets go of it either way. */
  private void finishChannel(boolean reusable) {
    Channel ch = channel;
    channel = null;
    if (ch != null) {
      ch.pipeline().get(ExchangeHandler.class).unbind();
      connection.release(ch, !reusable);
    }
  }
}
