package io.turnstile.proxy.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.turnstile.config.HostPort;
import io.turnstile.proxy.tls.ServerTls;
import io.turnstile.proxy.transport.Transport;
import io.turnstile.store.LicenseStore;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The admin listener: the operator endpoints (metrics, health, readiness; no token), the admin
 * API's OpenAPI document and Swagger UI (no token), the vendor console's pages when given, then the
 * admin API; small requests only, aggregated with a tight cap;
 * TLS when configured.
 */
public final class AdminServer implements AutoCloseable {
  /** Largest admin request body accepted. */
  static final int MAX_BODY = 64 * 1024;
  /** Longest a TLS handshake may take. */
  private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

  private final Channel channel;

  private AdminServer(Channel channel) {
    this.channel = channel;
  }

  /**
   * @param tls null for plain HTTP
   * @param pages the stage that serves the console's pages ahead of the admin API, or null for none;
   *     sharable, it passes on what is not its own
   */
  public static AdminServer start(HostPort listen, ServerTls tls, EventLoopGroup boss, EventLoopGroup workers,
      AdminApi api, AdminToken adminToken, Executor blocking, ObjectMapper json, Operations ops, ChannelHandler pages,
      LicenseStore store, BundleSource bundles) throws InterruptedException {
    AdminHandler handler = new AdminHandler(api, new AdminCredentials(adminToken, api.apiTokenStore()), blocking,
        json, new AdminBundles(store, bundles, json));
    OperationsHandler operations = new OperationsHandler(ops, blocking, json);
    ApiDocsHandler docs = new ApiDocsHandler(json);
    Channel ch = new ServerBootstrap()
        .group(boss, workers)
        .channel(Transport.serverChannel())
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel c) {
            ChannelPipeline p = c.pipeline();
            if (tls != null) {
              p.addLast("tls", tls.newHandler(c.alloc(), HANDSHAKE_TIMEOUT));
            }
            p.addLast("idle", new IdleStateHandler(0, 0, 60, TimeUnit.SECONDS) {
              @Override
              protected void channelIdle(io.netty.channel.ChannelHandlerContext ctx,
                  io.netty.handler.timeout.IdleStateEvent evt) {
                ctx.close();
              }
            });
            p.addLast("http", new HttpServerCodec(4096, 16384, 8192));
            p.addLast("keepAlive", new HttpServerKeepAliveHandler());
            p.addLast("aggregate", new HttpObjectAggregator(MAX_BODY));
            p.addLast("operations", operations);
            p.addLast("apiDocs", docs);
            if (pages != null) {
              p.addLast("console", pages);
            }
            p.addLast("admin", handler);
          }
        })
        .bind(new InetSocketAddress(listen.host(), listen.port()))
        .sync()
        .channel();
    return new AdminServer(ch);
  }

  public InetSocketAddress address() {
    return (InetSocketAddress) channel.localAddress();
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
  }
}
