package io.turnstile.proxy.upstream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.channel.pool.FixedChannelPool;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.turnstile.config.BlobRedirects;
import io.turnstile.config.UpstreamConfig;
import io.turnstile.proxy.access.RegistryError;
import io.turnstile.proxy.access.RegistryException;
import io.turnstile.store.UpstreamCredentials;
import java.net.ConnectException;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * One request to an upstream, with what it takes to get a usable answer: the upstream's
 * authentication (Basic, or a Bearer token fetched after a challenge and retried once), one retry
 * on a fresh connection when a pooled one turns out stale, and blob redirects (followed without
 * Turnstile's credentials when they leave the upstream, or handed to the client). Not thread-safe:
 * every method runs on {@code loop}.
 */
final class Exchange {
  private static final int MAX_REDIRECTS = 5;

  private enum State { STARTING, AWAITING_HEAD, STREAMING, DISCARDING, DONE }

  private final UpstreamClient client;
  private final EventLoop loop;
  private final UpstreamConfig upstream;
  private final UpstreamCredentials creds;
  private final UpstreamRequest request;
  private final ResponseSink sink;

  private State state = State.STARTING;
  private Channel channel;
  private FixedChannelPool pool;
  private boolean reused;
  private boolean waitingForData;
  private String authorization;
  private URI target;
  private boolean authRetried;
  private boolean staleRetried;
  private int redirects;
  private boolean keepAlive;
  private boolean notified;

  Exchange(UpstreamClient client, EventLoop loop, UpstreamConfig upstream, UpstreamCredentials creds,
      UpstreamRequest request, ResponseSink sink) {
    this.client = client;
    this.loop = loop;
    this.upstream = upstream;
    this.creds = creds;
    this.request = request;
    this.sink = sink;
  }

  void start() {
    onLoop(client.auth().authorization(upstream, creds, request.repository()), (header, error) -> {
      if (error != null) {
        fail(authError(error));
        return;
      }
      authorization = header;
      connect();
    });
  }

  /** Runs {@code then} on the loop once {@code f} completes. */
  private <T> void onLoop(CompletableFuture<T> f, java.util.function.BiConsumer<T, Throwable> then) {
    if (f.isDone() && loop.inEventLoop()) {
      T value = null;
      Throwable error = null;
      try {
        value = f.join();
      } catch (RuntimeException e) {
        error = e.getCause() == null ? e : e.getCause();
      }
      then.accept(value, error);
      return;
    }
    f.whenComplete((v, e) -> loop.execute(() -> then.accept(v,
        e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e)));
  }

  private void connect() {
    state = State.AWAITING_HEAD;
    if (target == null) {
      pool = client.connections().pool(upstream, loop);
      pool.acquire().addListener((Future<Channel> f) -> {
        if (!f.isSuccess()) {
          fail(connectError(f.cause()));
          return;
        }
        Channel ch = f.getNow();
        reused = Boolean.TRUE.equals(ch.attr(UpstreamConnections.REUSED).get());
        send(ch);
      });
    } else {
      pool = null;
      reused = false;
      ChannelFuture f = client.connections().direct(loop, upstream, target).connect();
      f.addListener(done -> {
        if (!done.isSuccess()) {
          fail(connectError(done.cause()));
          return;
        }
        send(f.channel());
      });
    }
  }

  private void send(Channel ch) {
    if (state == State.DONE) {
      release(ch, true);
      return;
    }
    channel = ch;
    ch.pipeline().get(ExchangeHandler.class).bind(this);
    String pathAndQuery;
    String hostHeader;
    URI base = target != null ? target : upstream.url();
    if (target != null) {
      pathAndQuery = target.getRawPath() + (target.getRawQuery() == null ? "" : "?" + target.getRawQuery());
    } else {
      pathAndQuery = request.path();
    }
    hostHeader = base.getPort() > 0 ? base.getHost() + ":" + base.getPort() : base.getHost();
    FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(request.method()),
        pathAndQuery.isEmpty() ? "/" : pathAndQuery);
    r.headers().set(HttpHeaderNames.HOST, hostHeader);
    r.headers().set(HttpHeaderNames.USER_AGENT, "turnstile");
    for (Map.Entry<String, String> h : request.headers().entrySet()) {
      r.headers().set(h.getKey(), h.getValue());
    }
    // Credentials go to the upstream only, never to a redirect target elsewhere.
    if (authorization != null && (target == null || sameOrigin(target, upstream.url()))) {
      r.headers().set(HttpHeaderNames.AUTHORIZATION, authorization);
    }
    waitingForData = true;
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
    if (status == 401 && target == null) {
      if (authRetried) {
        state = State.DISCARDING;
        finishChannel(false);
        fail(new RegistryException(RegistryError.UPSTREAM_FAILED,
            "the upstream registry rejected Turnstile's credentials for this repository"));
        return;
      }
      authRetried = true;
      String challenge = head.headers().get(HttpHeaderNames.WWW_AUTHENTICATE);
      String rejected = authorization;
      state = State.DISCARDING;
      finishChannel(false);
      onLoop(client.auth().afterChallenge(upstream, creds, request.repository(), challenge, rejected), (header, error) -> {
        if (error != null) {
          fail(authError(error));
        } else if (header == null) {
          fail(new RegistryException(RegistryError.UPSTREAM_FAILED,
              "the upstream registry rejected Turnstile's credentials for this repository"));
        } else {
          authorization = header;
          state = State.STARTING;
          connect();
        }
      });
      return;
    }
    if (request.blob() && isRedirect(status) && head.headers().contains(HttpHeaderNames.LOCATION)) {
      URI location;
      try {
        location = (target != null ? target : upstream.url()).resolve(head.headers().get(HttpHeaderNames.LOCATION));
      } catch (IllegalArgumentException e) {
        state = State.DISCARDING;
        finishChannel(false);
        fail(new RegistryException(RegistryError.UPSTREAM_FAILED, "the upstream registry sent an invalid redirect"));
        return;
      }
      boolean toUpstream = sameOrigin(location, upstream.url());
      if (upstream.blobRedirects() == BlobRedirects.FOLLOW || toUpstream) {
        if (++redirects > MAX_REDIRECTS) {
          state = State.DISCARDING;
          finishChannel(false);
          fail(new RegistryException(RegistryError.UPSTREAM_FAILED, "too many redirects from the upstream registry"));
          return;
        }
        state = State.DISCARDING;
        finishChannel(false);
        target = location;
        state = State.STARTING;
        connect();
        return;
      }
      head.headers().set(HttpHeaderNames.LOCATION, location.toString());
    }
    state = State.STREAMING;
    sink.onHead(head);
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
    fail(new RegistryException(RegistryError.UPSTREAM_TIMEOUT, "the upstream registry timed out"));
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
    if (beforeHead && reused && !staleRetried) {
      // A pooled keep-alive connection the upstream had already closed: retry once on a new one.
      staleRetried = true;
      state = State.STARTING;
      connect();
      return;
    }
    String message = tlsFailure(cause) ? "TLS with the upstream registry failed (is its certificate trusted?)"
        : beforeHead ? "the upstream registry closed the connection" : "the upstream registry closed the connection mid-answer";
    fail(new RegistryException(RegistryError.UPSTREAM_FAILED, message));
  }

  /** Tells the sink, once, that the exchange failed. */
  private void fail(RegistryException e) {
    state = State.DONE;
    if (notified) {
      return;
    }
    notified = true;
    sink.onError(e);
  }

  /** Hands the connection back (kept alive) or closes it; the exchange lets go of it either way. */
  private void finishChannel(boolean reusable) {
    Channel ch = channel;
    channel = null;
    if (ch != null) {
      ch.pipeline().get(ExchangeHandler.class).unbind();
      release(ch, !reusable);
    }
  }

  private void release(Channel ch, boolean close) {
    if (close || !ch.isActive()) {
      ch.close();
    } else {
      ch.attr(UpstreamConnections.REUSED).set(Boolean.TRUE);
    }
    if (pool != null) {
      pool.release(ch);
    }
  }

  private static boolean tlsFailure(Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof javax.net.ssl.SSLException) {
        return true;
      }
    }
    return false;
  }

  private static boolean isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }

  static boolean sameOrigin(URI a, URI b) {
    return a.getScheme() != null && a.getScheme().equalsIgnoreCase(b.getScheme())
        && a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost())
        && port(a) == port(b);
  }

  private static int port(URI u) {
    return u.getPort() > 0 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
  }

  private static RegistryException connectError(Throwable cause) {
    if (cause instanceof ConnectTimeoutException || cause instanceof TimeoutException) {
      return new RegistryException(RegistryError.UPSTREAM_TIMEOUT, "the upstream registry did not answer in time");
    }
    if (cause instanceof ConnectException) {
      return new RegistryException(RegistryError.UPSTREAM_UNAVAILABLE, "the upstream registry is unreachable");
    }
    if (cause instanceof IllegalStateException && cause.getMessage() != null && cause.getMessage().contains("pending")) {
      return new RegistryException(RegistryError.UPSTREAM_UNAVAILABLE, "too many requests waiting for the upstream registry");
    }
    return new RegistryException(RegistryError.UPSTREAM_FAILED, "cannot connect to the upstream registry");
  }

  private static RegistryException authError(Throwable error) {
    if (error instanceof UpstreamAuth.UpstreamAuthException e) {
      return new RegistryException(RegistryError.UPSTREAM_FAILED, e.getMessage());
    }
    return new RegistryException(RegistryError.UPSTREAM_FAILED, "cannot reach the upstream's token service");
  }
}
