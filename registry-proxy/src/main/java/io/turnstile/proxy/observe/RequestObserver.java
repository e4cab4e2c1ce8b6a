package io.turnstile.proxy.observe;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.FileRegion;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.turnstile.proxy.oci.ErrorAnswer;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Watches the requests and answers of one public connection, between the HTTP codec and the
 * frontend: opens a {@link RequestRecord} when a request head arrives, notes the status, the error
 * behind an {@link ErrorAnswer} and the body bytes as the answer goes out, adds {@code
 * X-Request-Id}, and when the answer's last byte is written (or the connection ends first) counts
 * the request in {@link RequestMetrics} and writes its {@link AccessLog} line. Costs a few field
 * writes per message and one listener per answer. Not sharable: one per connection.
 */
public final class RequestObserver extends ChannelDuplexHandler {
  /** The status counted and logged for a request the client left before any answer, as nginx does. */
  static final int CLIENT_CLOSED = 499;

  private final RequestMetrics metrics;
  private final AccessLog log;

  public RequestObserver(RequestMetrics metrics, AccessLog log) {
    this.metrics = metrics;
    this.log = log;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest request) {
      String uri = request.uri();
      int q = uri.indexOf('?');
      RequestRecord r = new RequestRecord(request.method().name(), AccessLog.printable(q < 0 ? uri : uri.substring(0, q)),
          q < 0 ? null : AccessLog.loggedQuery(uri), AccessLog.printable(request.headers().get(HttpHeaderNames.USER_AGENT)),
          peer(ctx));
      RequestRecord.attach(ctx.channel(), r);
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    RequestRecord r = RequestRecord.current(ctx.channel());
    if (msg instanceof HttpResponse response) {
      if (r == null) {
        // An answer to no request read whole, such as the 408 for a request that never came.
        r = new RequestRecord("-", "-", null, null, peer(ctx));
        RequestRecord.attach(ctx.channel(), r);
      }
      r.status = response.status().code();
      if (response instanceof ErrorAnswer answer) {
        r.failure = answer.failure();
      }
      response.headers().set("X-Request-Id", r.id);
    }
    if (r == null) {
      ctx.write(msg, promise);
      return;
    }
    if (msg instanceof HttpContent content) {
      r.bytes += content.content().readableBytes();
    } else if (msg instanceof FileRegion region) {
      r.bytes += region.count();
    }
    if (msg instanceof LastHttpContent) {
      RequestRecord done = RequestRecord.detach(ctx.channel());
      ChannelPromise p = promise.unvoid();
      p.addListener(f -> finish(done, !f.isSuccess()));
      ctx.write(msg, p);
      return;
    }
    ctx.write(msg, promise);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    RequestRecord r = RequestRecord.detach(ctx.channel());
    if (r != null) {
      finish(r, true);
    }
    ctx.fireChannelInactive();
  }

  private void finish(RequestRecord r, boolean aborted) {
    if (r.status == 0) {
      r.status = CLIENT_CLOSED;
    }
    long nanos = System.nanoTime() - r.startNanos;
    metrics.answered(r.route, r.status, r.bytes, r.failure);
    log.write(r, nanos, aborted);
  }

  private static InetAddress peer(ChannelHandlerContext ctx) {
    return ctx.channel().remoteAddress() instanceof InetSocketAddress a ? a.getAddress() : null;
  }
}
