package io.turnstile.proxy.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.ChannelGroupFuture;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.turnstile.config.ServerConfig;
import io.turnstile.proxy.observe.AccessLog;
import io.turnstile.proxy.observe.RequestObserver;
import io.turnstile.proxy.tls.ServerTls;
import io.turnstile.proxy.transport.Transport;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public registry listener. The pipeline, in order: connection caps (in all and per client
 * address), TLS when configured (HTTP/1.1 only: see {@link ServerTls}), request and keep-alive
 * deadlines, idle timeout, HTTP codec with size limits, the request observer (access log and
 * metrics), under TLS the chunked reader of cached blob files, and the per-connection {@link
 * RegistryFrontend}.
 */
public final class RegistryServer implements AutoCloseable {
  /** The user event that tells each connection Turnstile is stopping. */
  static final Object STOPPING = new Object() {
    @Override
    public String toString() {
      return "STOPPING";
    }
  };
  private static final Logger log = LoggerFactory.getLogger(RegistryServer.class);
  /** Longest {@link #close} waits for the client connections to close. */
  private static final long CLOSE_WAIT_SECONDS = 5;

  private final Channel channel;
  private final ChannelGroup connections;

  private RegistryServer(Channel channel, ChannelGroup connections) {
    this.channel = channel;
    this.connections = connections;
  }

  /** @param tls null for plain HTTP */
  static RegistryServer start(ServerConfig config, ServerTls tls, EventLoopGroup boss, EventLoopGroup workers,
      RegistryServices services) throws InterruptedException {
    ConnectionLimiter limiter = new ConnectionLimiter(config.maxConnections(), config.maxConnectionsPerAddress());
    ClientAddresses clients = new ClientAddresses(config.trustedProxies());
    services.metrics().connectionsOpen(limiter::open);
    AccessLog accessLog = new AccessLog();
    ChannelGroup connections = new DefaultChannelGroup("registry-connections", GlobalEventExecutor.INSTANCE);
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
            connections.add(c);
            ChannelPipeline p = c.pipeline();
            addLimits(p, limiter, config);
            addTls(p, tls, config);
            addHttp(p, config);
            p.addLast("requests", new RequestObserver(services.metrics(), accessLog));
            addFileReads(p, tls);
            p.addLast("registry", new RegistryFrontend(services, clients));
          }
        })
        .bind(new InetSocketAddress(config.listen().host(), config.listen().port()))
        .sync()
        .channel();
    return new RegistryServer(ch, connections);
  }

  private static void addLimits(ChannelPipeline p, ConnectionLimiter limiter, ServerConfig config) {
    p.addLast("connectionLimit", limiter);
    p.addLast("deadlines", new RequestDeadlines(config.requestHeaderTimeout(), config.keepAliveTimeout()));
    long idle = config.idleTimeout().toMillis();
    // observeOutput: a large file going out by sendfile is one write; its progress counts as activity.
    p.addLast("idle", new IdleStateHandler(true, 0, 0, idle, TimeUnit.MILLISECONDS) {
      @Override
      protected void channelIdle(ChannelHandlerContext ctx, io.netty.handler.timeout.IdleStateEvent evt) {
        ctx.fireUserEventTriggered(evt);
      }
    });
  }

  /**
   * After the connection caps, so a refused connection costs no handshake; before the deadlines, so
   * they count decrypted bytes. The handshake must finish within the request-head deadline too.
   */
  private static void addTls(ChannelPipeline p, ServerTls tls, ServerConfig config) {
    if (tls != null) {
      p.addAfter("connectionLimit", "tls", tls.newHandler(p.channel().alloc(), config.requestHeaderTimeout()));
    }
  }

  /**
   * Under TLS, cached blobs are read from their files in pieces as the socket drains (sendfile
   * cannot encrypt); after the request observer, so it counts and sees the end of those answers.
   * Plain HTTP sends files whole with sendfile and needs no handler for it.
   */
  private static void addFileReads(ChannelPipeline p, ServerTls tls) {
    if (tls != null) {
      p.addLast("fileReads", new ChunkedWriteHandler());
    }
  }

  private static void addHttp(ChannelPipeline p, ServerConfig config) {
    p.addLast("http", new HttpServerCodec(8192, config.maxHeaderSize(), 64 * 1024));
  }

  public InetSocketAddress address() {
    return (InetSocketAddress) channel.localAddress();
  }

  /**
   * Stops accepting connections, closes those waiting between requests, and waits up to {@code
   * grace} for the others to finish their answers (each closes when its answer is written); those
   * still open then are closed.
   *
   * @return whether every connection finished within {@code grace}
   */
  boolean drain(Duration grace) throws InterruptedException {
    channel.close().syncUninterruptibly();
    ChannelGroupFuture closed = connections.newCloseFuture();
    int open = connections.size();
    if (open > 0) {
      log.info("no longer accepting connections; waiting up to {} s for {} open", grace.toSeconds(), open);
    }
    connections.forEach(c -> c.pipeline().fireUserEventTriggered(STOPPING));
    boolean finished = closed.await(grace.toMillis());
    if (!finished) {
      log.warn("{} connections still open after {} s: closing them", connections.size(), grace.toSeconds());
      closeConnections();
    }
    return finished;
  }

  /** Closes every client connection now, answers under way or not. */
  void closeConnections() {
    connections.close();
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
    // Bounded: a connection whose event loop has died (a fatal error, or a test that stops one)
    // never completes its close, and a stop must not wait on it for good.
    if (!connections.close().awaitUninterruptibly(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS)) {
      log.warn("registry listener: some connections did not close within {} s; stopping without them",
          CLOSE_WAIT_SECONDS);
    }
  }
}
