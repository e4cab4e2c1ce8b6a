package io.turnstile.proxy.console;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import io.turnstile.proxy.web.WebRequest;
import io.turnstile.proxy.web.WebResponse;
import java.net.InetSocketAddress;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * The admin listener's stage for {@code /console}: takes those requests (aggregated, with the
 * listener's small cap) and answers them from the blocking executor, since the console works
 * through the blocking admin API. Anything else goes on to the admin API, whose bearer token the
 * console's pages never use.
 */
@ChannelHandler.Sharable
public final class ConsoleHandler extends ChannelInboundHandlerAdapter {
  private final Console console;
  private final Executor blocking;

  public ConsoleHandler(Console console, Executor blocking) {
    this.console = console;
    this.blocking = blocking;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof FullHttpRequest request) || !request.decoderResult().isSuccess()
        || !Console.owns(new QueryStringDecoder(request.uri()).rawPath())) {
      ctx.fireChannelRead(msg);
      return;
    }
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    boolean head = request.method().equals(HttpMethod.HEAD);
    WebRequest web;
    try {
      web = WebRequest.of(request, ByteBufUtil.getBytes(request.content()),
          ctx.channel().remoteAddress() instanceof InetSocketAddress a ? a.getAddress() : null);
    } finally {
      ReferenceCountUtil.release(msg);
    }
    try {
      blocking.execute(() -> write(ctx, console.serve(web), head, keepAlive));
    } catch (RejectedExecutionException e) {
      write(ctx, WebResponse.text(503, "busy, retry"), head, false);
    }
  }

  private static void write(ChannelHandlerContext ctx, WebResponse response, boolean head, boolean keepAlive) {
    FullHttpResponse out = response.toHttp(head);
    HttpUtil.setKeepAlive(out, keepAlive);
    var future = ctx.writeAndFlush(out);
    if (!keepAlive) {
      future.addListener(ChannelFutureListener.CLOSE);
    }
  }
}
