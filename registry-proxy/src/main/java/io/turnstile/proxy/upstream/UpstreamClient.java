package io.turnstile.proxy.upstream;

import io.netty.channel.EventLoop;
import io.turnstile.config.UpstreamConfig;
import io.turnstile.store.UpstreamCredentials;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Sends requests to the vendor's upstream registries over pooled Netty connections on the
 * caller's event loop, authenticating as the upstream asks.
 */
public final class UpstreamClient implements AutoCloseable {
  private final UpstreamConnections connections;
  private final UpstreamAuth auth;

  public UpstreamClient(List<UpstreamConfig> upstreams, UpstreamAuth auth, int eventLoops) {
    Map<String, UpstreamConfig> byName = new LinkedHashMap<>();
    upstreams.forEach(u -> byName.put(u.name(), u));
    this.connections = new UpstreamConnections(byName, eventLoops);
    this.auth = auth;
  }

  /**
   * Sends {@code request} to {@code upstream} with {@code creds} (null: the upstream's own, which
   * may be none) and delivers the answer to {@code sink} on {@code loop}.
   */
  public Call send(EventLoop loop, UpstreamConfig upstream, UpstreamCredentials creds, UpstreamRequest request,
      ResponseSink sink) {
    Exchange exchange = new Exchange(this, loop, upstream, UpstreamIdentity.presented(upstream, creds), request, sink);
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

  /** A request in flight. */
  public interface Call {
    /** Stops it; the sink hears nothing more. */
    void cancel();
  }

  UpstreamConnections connections() {
    return connections;
  }

  UpstreamAuth auth() {
    return auth;
  }

  @Override
  public void close() {
    connections.close();
  }
}
