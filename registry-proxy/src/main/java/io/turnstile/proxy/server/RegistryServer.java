package io.turnstile.proxy.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.turnstile.proxy.transport.Transport;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.turnstile.config.ServerConfig;
import io.turnstile.proxy.observe.AccessLog;
import io.turnstile.proxy.observe.RequestObserver;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The public registry listener. The pipeline, in order: connection caps (in all and per client
 * address), request and keep-alive deadlines, idle timeout, HTTP codec with size limits, the
 * request observer (access log and metrics) and the per-connection {@link RegistryFrontend}.
 */
public final class RegistryServer implements AutoCloseable {
  private final Channel channel;

  private RegistryServer(Channel channel) {
    this.channel = channel;
  }

  static RegistryServer start(ServerConfig config, EventLoopGroup boss, EventLoopGroup workers,
      RegistryServices services) throws InterruptedException {
    ConnectionLimiter limiter = new ConnectionLimiter(config.maxConnections(), config.maxConnectionsPerAddress());
    services.metrics().connectionsOpen(limiter::open);
    AccessLog accessLog = new AccessLog();
    Channel ch = new ServerBootstrap()
        .group(boss, workers)
        .channel(Transport.serverChannel())
        .option(ChannelOption.SO_BACKLOG, 1024)
        .childOption(ChannelOption.TCP_NODELAY, true)
        // Bounds what a pull may queue towards a slow client; reading the upstream pauses above it.
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new io.netty.channel.WriteBufferWaterMark(128 * 1024, 512 * 1024))
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel c) {
            ChannelPipeline p = c.pipeline();
            addLimits(p, limiter, config);
            addHttp(p, config);
            p.addLast("requests", new RequestObserver(services.metrics(), accessLog));
            p.addLast("registry", new RegistryFrontend(services));
          }
        })
        .bind(new InetSocketAddress(config.listen().host(), config.listen().port()))
        .sync()
        .channel();
    return new RegistryServer(ch);
  }

  private static void addLimits(ChannelPipeline p, ConnectionLimiter limiter, ServerConfig config) {
    p.addLast("connectionLimit", limiter);
    p.addLast("deadlines", new RequestDeadlines(config.requestHeaderTimeout(), config.keepAliveTimeout()));
    long idle = config.idleTimeout().toMillis();
    p.addLast("idle", new IdleStateHandler(0, 0, idle, TimeUnit.MILLISECONDS) {
      @Override
      protected void channelIdle(ChannelHandlerContext ctx, io.netty.handler.timeout.IdleStateEvent evt) {
        ctx.fireUserEventTriggered(evt);
      }
    });
  }

  private static void addHttp(ChannelPipeline p, ServerConfig config) {
    p.addLast("http", new HttpServerCodec(8192, config.maxHeaderSize(), 64 * 1024));
  }

  public InetSocketAddress address() {
    return (InetSocketAddress) channel.localAddress();
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
  }
}
