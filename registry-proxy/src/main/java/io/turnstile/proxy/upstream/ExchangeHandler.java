package io.turnstile.proxy.upstream;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * The last handler of every upstream connection: hands what arrives to the exchange currently
 * using the connection, and drops (releasing) anything that arrives when none is.
 */
final class ExchangeHandler extends ChannelInboundHandlerAdapter {
  private Exchange current;

  void bind(Exchange exchange) {
    current = exchange;
  }

  void unbind() {
    current = null;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (current == null) {
      ReferenceCountUtil.release(msg);
      ctx.close();
      return;
    }
    current.onMessage(msg);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent && current != null) {
      current.onTimeout();
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (current != null) {
      current.onClosed(null);
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (current != null) {
      current.onClosed(cause);
    }
    ctx.close();
  }
}
