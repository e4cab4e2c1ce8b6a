package io.turnstile.proxy.upstream;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.turnstile.config.UpstreamConfig;
import io.turnstile.proxy.observe.UpstreamMetrics;
import io.turnstile.store.UpstreamCredentials;
import java.net.URI;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The one client for the vendor's upstream registries: every call to them (manifests, blobs, tag
 * listings, and the token dance itself) goes through it over pooled Netty connections, so TLS
 * trust, timeouts, redirects and credential handling are decided in one place ({@link Exchange}),
 * and so is an upstream's rate limit: after a 429 nothing is sent to it before its {@code
 * Retry-After} ({@link RateLimits}).
 */
public final class UpstreamClient implements AutoCloseable {
  private final EventLoopGroup loops;
  private final UpstreamConnections connections;
  private final UpstreamAuth auth;
  private final UpstreamMetrics metrics;
  private final RateLimits rateLimits;

  /**
   * @param loops the event loops calls run on; callers on one of them pass their own, others get
   *     one from this group. Owned by the caller, which shuts it down.
   * @param metrics where every call is counted and timed
   */
  public UpstreamClient(List<UpstreamConfig> upstreams, EventLoopGroup loops, ObjectMapper json, Clock clock,
      UpstreamMetrics metrics) {
    Map<String, UpstreamConfig> byName = new LinkedHashMap<>();
    upstreams.forEach(u -> byName.put(u.name(), u));
    this.loops = loops;
    this.metrics = metrics;
    this.connections = new UpstreamConnections(byName);
    byName.values().forEach(u -> {
      ConnectionLeases l = connections.leases(u);
      metrics.connections(u.name(), l.max(), l::inUse, l::waiting);
    });
    this.auth = new UpstreamAuth(json, clock, this::tokenCall);
    this.rateLimits = new RateLimits(clock);
  }

  /**
   * Sends {@code request} to {@code upstream} with {@code creds} (null: the upstream's own, which
   * may be none) and delivers the answer to {@code sink} on {@code loop}.
   */
  public Call send(EventLoop loop, UpstreamConfig upstream, UpstreamCredentials creds, UpstreamRequest request,
      ResponseSink sink) {
    Exchange exchange = Exchange.registryCall(this, loop, upstream, UpstreamIdentity.presented(upstream, creds),
        request, sink);
    if (loop.inEventLoop()) {
      exchange.start();
    } else {
      loop.execute(exchange::start);
    }
    return () -> {
      if (loop.inEventLoop()) {
        exchange.cancel();
      } else {
        loop.execute(exchange::cancel);
      }
    };
  }

  /**
   * Sends {@code request} as {@link #send} does, on one of this client's event loops, and reads
   * the whole answer, up to {@code maxBytes}: for callers that are not on an event loop (the
   * admin API). The future completes on that loop; a failure is a {@code RegistryException}.
   */
  public CompletableFuture<UpstreamResponse> fetch(UpstreamConfig upstream, UpstreamCredentials creds,
      UpstreamRequest request, int maxBytes) {
    return fetch(loops.next(), upstream, creds, request, maxBytes);
  }

  /** As {@link #fetch(UpstreamConfig, UpstreamCredentials, UpstreamRequest, int)}, on {@code loop}. */
  public CompletableFuture<UpstreamResponse> fetch(EventLoop loop, UpstreamConfig upstream, UpstreamCredentials creds,
      UpstreamRequest request, int maxBytes) {
    BufferingSink sink = new BufferingSink(maxBytes);
    send(loop, upstream, creds, request, sink);
    return sink.result();
  }

  /** A request in flight. */
  public interface Call {
    /** Stops it; the sink hears nothing more. */
    void cancel();
  }

  /** GETs a token realm for {@code upstream}: how {@link UpstreamAuth} asks for tokens. */
  private CompletableFuture<UpstreamResponse> tokenCall(EventLoop loop, UpstreamConfig upstream, URI realm,
      String authorization, int maxBytes) {
    BufferingSink sink = new BufferingSink(maxBytes);
    // Started as a task of its own, never inside the token cache's computation that asked for it.
    loop.execute(Exchange.tokenCall(this, loop, upstream, realm, authorization, sink)::start);
    return sink.result();
  }

  UpstreamConnections connections() {
    return connections;
  }

  UpstreamAuth auth() {
    return auth;
  }

  RateLimits rateLimits() {
    return rateLimits;
  }

  UpstreamMetrics metrics() {
    return metrics;
  }

  @Override
  public void close() {
    connections.close();
  }
}
