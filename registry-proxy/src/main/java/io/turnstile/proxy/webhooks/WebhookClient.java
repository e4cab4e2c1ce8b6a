package io.turnstile.proxy.webhooks;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.turnstile.proxy.transport.Transport;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

/**
 * Posts one webhook and reads only its status line: the one client for webhook receivers. The name
 * is resolved here, the address checked by the {@link AddressPolicy}, and the connection made to
 * that very address (TLS still verifies the name), so a name cannot be rebound to an inner address
 * between the check and the connection. Redirects are not followed: a 3xx is a failed attempt. The
 * answer's body is never read, so a receiver cannot make Turnstile hold a large answer; headers are
 * bounded by the codec. Every attempt ends within the timeout. Blocking: call from the delivery
 * threads, never an event loop.
 */
public final class WebhookClient {
  /** How an attempt went: a status, or why there was none. */
  public record Outcome(Integer status, String error, Duration took) {
    public boolean succeeded() {
      return status != null && status >= 200 && status < 300;
    }
  }

  private final EventLoopGroup group;
  private final AddressPolicy policy;
  private final Duration timeout;
  private final SslContext tls;
  /** Name lookups, which the JDK only offers blocking, so that each can be given up on in time. */
  private final ExecutorService resolver = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "turnstile-webhook-resolver");
    t.setDaemon(true);
    return t;
  });

  public WebhookClient(EventLoopGroup group, AddressPolicy policy, Duration timeout) {
    this.group = group;
    this.policy = policy;
    this.timeout = timeout;
    try {
      this.tls = SslContextBuilder.forClient().build();
    } catch (SSLException e) {
      throw new IllegalStateException("cannot set up TLS for webhooks", e);
    }
  }

  /** Posts {@code body} (JSON) to {@code url} with {@code headers}. */
  public Outcome post(URI url, Map<String, String> headers, byte[] body) throws InterruptedException {
    long started = System.nanoTime();
    String refused = policy.refusal(url);
    if (refused != null) {
      return new Outcome(null, "url " + refused, since(started));
    }
    boolean https = "https".equals(url.getScheme());
    String host = url.getHost();
    int port = url.getPort() != -1 ? url.getPort() : https ? 443 : 80;
    InetAddress address;
    // Resolved within the attempt's timeout too: a slow resolver cannot stretch an attempt past it
    // (the delivery's lease is sized by the timeout).
    Future<InetAddress> lookup = resolver.submit(() -> InetAddress.getAllByName(host)[0]);
    try {
      address = lookup.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      lookup.cancel(true);
      return new Outcome(null, "cannot resolve " + host + " within " + timeout.toMillis() + " ms", since(started));
    } catch (ExecutionException e) {
      return new Outcome(null, "cannot resolve " + host, since(started));
    }
    refused = policy.refusal(address);
    if (refused != null) {
      return new Outcome(null, refused, since(started));
    }
    long left = Math.max(1, timeout.toMillis() - since(started).toMillis());
    CompletableFuture<Integer> answer = new CompletableFuture<>();
    Bootstrap b = new Bootstrap().group(group).channel(Transport.socketChannel())
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) left)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            if (https) {
              SslHandler ssl = tls.newHandler(ch.alloc(), host, port);
              SSLEngine engine = ssl.engine();
              SSLParameters params = engine.getSSLParameters();
              params.setEndpointIdentificationAlgorithm("HTTPS");
              engine.setSSLParameters(params);
              ch.pipeline().addLast("tls", ssl);
            }
            ch.pipeline().addLast("http", new HttpClientCodec());
            ch.pipeline().addLast("status", new StatusLine(answer));
          }
        });
    ChannelFuture connect = b.connect(new InetSocketAddress(address, port));
    Channel ch = connect.channel();
    connect.addListener(f -> {
      if (!f.isSuccess()) {
        answer.completeExceptionally(f.cause());
        return;
      }
      ch.writeAndFlush(request(url, headers, body)).addListener(w -> {
        if (!w.isSuccess()) {
          answer.completeExceptionally(w.cause());
        }
      });
    });
    try {
      int status = answer.get(left, TimeUnit.MILLISECONDS);
      if (status >= 300 && status < 400) {
        return new Outcome(status, "answered a redirect, which is not followed", since(started));
      }
      return new Outcome(status, status >= 200 && status < 300 ? null : "answered " + status, since(started));
    } catch (TimeoutException e) {
      return new Outcome(null, "no answer within " + timeout.toMillis() + " ms", since(started));
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      String why = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
      return new Outcome(null, "cannot post: " + why, since(started));
    } finally {
      ch.close();
    }
  }

  private static FullHttpRequest request(URI url, Map<String, String> headers, byte[] body) {
    String path = (url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath())
        + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
    FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path,
        Unpooled.wrappedBuffer(body));
    r.headers().set(HttpHeaderNames.HOST, url.getPort() == -1 ? url.getHost() : url.getHost() + ":" + url.getPort())
        .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
        .set(HttpHeaderNames.CONTENT_LENGTH, body.length)
        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
        .set(HttpHeaderNames.USER_AGENT, "Turnstile-Webhooks");
    headers.forEach(r.headers()::set);
    return r;
  }

  private static Duration since(long startedNanos) {
    return Duration.ofNanos(System.nanoTime() - startedNanos);
  }

  /** Completes with the answer's status as soon as its head arrives; the rest is dropped unread. */
  private static final class StatusLine extends SimpleChannelInboundHandler<HttpObject> {
    private final CompletableFuture<Integer> answer;

    StatusLine(CompletableFuture<Integer> answer) {
      this.answer = answer;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
      if (msg instanceof HttpResponse r) {
        answer.complete(r.status().code());
        ctx.close();
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      answer.completeExceptionally(new IllegalStateException("the connection closed before an answer"));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      answer.completeExceptionally(cause);
      ctx.close();
    }
  }
}
