package io.turnstile.proxy.upstream;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.pool.AbstractChannelPoolHandler;
import io.netty.channel.pool.ChannelHealthChecker;
import io.netty.channel.pool.FixedChannelPool;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.AttributeKey;
import io.turnstile.config.UpstreamConfig;
import io.turnstile.proxy.transport.Transport;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.TrustManagerFactory;

/**
 * Connections to the upstream registries: for each upstream, one keep-alive pool per event loop,
 * so an upstream connection lives on the same loop as the client connection it serves, and one
 * bound on the connections in use at once over all loops ({@link ConnectionLeases}), so the bound
 * holds however unevenly calls spread over the loops. Other origins (a token realm elsewhere, object storage a blob redirects to)
 * get one-off connections. Every connection has the upstream's connect and read timeouts; TLS to
 * the upstream and to its token realm trusts the upstream's trust store, TLS elsewhere the JDK's.
 */
final class UpstreamConnections implements AutoCloseable {
  /** Set once a pooled connection has carried an exchange: a later failure may be a stale socket. */
  static final AttributeKey<Boolean> REUSED = AttributeKey.valueOf("turnstile.upstream.reused");
  static final String HANDLER = "exchange";

  private final Map<String, SslContext> tls = new ConcurrentHashMap<>();
  private final Map<String, FixedChannelPool> pools = new ConcurrentHashMap<>();
  private final Map<String, ConnectionLeases> leases = new ConcurrentHashMap<>();
  private volatile SslContext defaultTls;

  /** Sets up each upstream's TLS now, so that an unreadable trust store stops the start. */
  UpstreamConnections(Map<String, UpstreamConfig> upstreams) {
    upstreams.values().forEach(this::tls);
    upstreams.values().forEach(this::leases);
  }

  /** The bound on {@code upstream}'s connections in use at once, over every loop. */
  ConnectionLeases leases(UpstreamConfig upstream) {
    return leases.computeIfAbsent(upstream.name(),
        n -> new ConnectionLeases(n, upstream.maxConnections(), upstream.connectionWait()));
  }

  /**
   * The pool of {@code upstream} connections on {@code loop}. A call takes a lease from {@link
   * #leases} first, so the pool itself never waits: it may hold every leased connection.
   */
  FixedChannelPool pool(UpstreamConfig upstream, EventLoop loop) {
    return pools.computeIfAbsent(upstream.name() + "@" + System.identityHashCode(loop), k -> {
      URI uri = upstream.url();
      boolean https = uri.getScheme().equalsIgnoreCase("https");
      int port = uri.getPort() > 0 ? uri.getPort() : https ? 443 : 80;
      Bootstrap b = bootstrap(loop, upstream).remoteAddress(uri.getHost(), port);
      SslContext ssl = https ? tls(upstream) : null;
      return new FixedChannelPool(b, new AbstractChannelPoolHandler() {
        @Override
        public void channelCreated(Channel ch) {
          init(ch, ssl, uri.getHost(), port, upstream);
        }
      }, ChannelHealthChecker.ACTIVE, null, -1, upstream.maxConnections(), Integer.MAX_VALUE, true, true);
    });
  }

  /**
   * A one-off connection bootstrap to {@code target}, on {@code loop}, for a call on behalf of
   * {@code upstream}.
   *
   * @param upstreamTrust whether TLS trusts the upstream's trust store (its token realm) rather
   *     than the JDK's (object storage)
   */
  Bootstrap direct(EventLoop loop, UpstreamConfig upstream, URI target, boolean upstreamTrust) {
    boolean https = target.getScheme().equalsIgnoreCase("https");
    int port = target.getPort() > 0 ? target.getPort() : https ? 443 : 80;
    SslContext ssl = !https ? null : upstreamTrust ? tls(upstream) : defaultTls();
    return bootstrap(loop, upstream).remoteAddress(target.getHost(), port)
        .handler(new io.netty.channel.ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            init(ch, ssl, target.getHost(), port, upstream);
          }
        });
  }

  private static Bootstrap bootstrap(EventLoop loop, UpstreamConfig upstream) {
    return new Bootstrap()
        .group(loop)
        .channel(Transport.socketChannel())
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) upstream.connectTimeout().toMillis())
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.AUTO_READ, false)
        .option(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator(16 * 1024, 64 * 1024, 1024 * 1024));
  }

  private static void init(Channel ch, SslContext ssl, String host, int port, UpstreamConfig upstream) {
    ChannelPipeline p = ch.pipeline();
    if (ssl != null) {
      p.addLast("tls", ssl.newHandler(ch.alloc(), host, port));
    }
    p.addLast("http", new HttpClientCodec(8192, 64 * 1024, 256 * 1024));
    p.addLast("idle", new IdleStateHandler(upstream.readTimeout().toMillis(), 0, 0, TimeUnit.MILLISECONDS));
    p.addLast(HANDLER, new ExchangeHandler());
  }

  private SslContext tls(UpstreamConfig upstream) {
    return tls.computeIfAbsent(upstream.name(), n -> {
      try {
        SslContextBuilder b = SslContextBuilder.forClient();
        if (upstream.trustStore() != null) {
          KeyStore ks = KeyStore.getInstance("PKCS12");
          char[] password = upstream.trustStorePassword() == null ? null : upstream.trustStorePassword().toCharArray();
          try (InputStream in = Files.newInputStream(upstream.trustStore())) {
            ks.load(in, password);
          }
          TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
          tmf.init(ks);
          b.trustManager(tmf);
        }
        return b.build();
      } catch (IOException | GeneralSecurityException e) {
        throw new IllegalStateException("upstream " + upstream.name() + ": cannot set up TLS: " + e.getMessage(), e);
      }
    });
  }

  private SslContext defaultTls() {
    if (defaultTls == null) {
      try {
        defaultTls = SslContextBuilder.forClient().build();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
    return defaultTls;
  }

  @Override
  public void close() {
    pools.values().forEach(FixedChannelPool::close);
    pools.clear();
  }
}
