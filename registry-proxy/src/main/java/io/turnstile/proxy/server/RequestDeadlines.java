package io.turnstile.proxy.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Deadlines that bytes cannot push back, unlike the idle timeout. Sits before the HTTP codec, so it
 * sees the raw bytes of a connection:
 *
 * <ul>
 *   <li>a request must be read whole (head, and the token form) within {@code requestTimeout} of the
 *       connection's start or of its first byte; when it is not, {@link #REQUEST_TIMEOUT} goes up the
 *       pipeline, and the frontend answers 408 and closes. Trickling a byte every few seconds does
 *       not extend it.
 *   <li>a kept-alive connection waiting for its next request is closed after {@code keepAlive}.
 * </ul>
 *
 * <p>The frontend says when a request has been read ({@link #requestRead}) and when its answer is
 * written and the connection waits again ({@link #awaitNext}). Not thread-safe: runs on the
 * channel's event loop.
 */
final class RequestDeadlines extends ChannelInboundHandlerAdapter {
  /** The user event fired when a request was not read in time. */
  static final Object REQUEST_TIMEOUT = new Object() {
    @Override
    public String toString() {
      return "REQUEST_TIMEOUT";
    }
  };

  private enum Phase { READING, SERVING, KEEP_ALIVE }

  private final long requestNanos;
  private final long keepAliveNanos;
  private ChannelHandlerContext ctx;
  private Phase phase = Phase.READING;
  private ScheduledFuture<?> timer;

  RequestDeadlines(Duration requestTimeout, Duration keepAlive) {
    this.requestNanos = requestTimeout.toNanos();
    this.keepAliveNanos = keepAlive.toNanos();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    arm(Phase.READING, requestNanos);
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (phase == Phase.KEEP_ALIVE && msg instanceof ByteBuf b && b.isReadable()) {
      arm(Phase.READING, requestNanos);
    }
    ctx.fireChannelRead(msg);
  }

  /** The current request has been read whole: no deadline while it is answered. */
  void requestRead() {
    disarm();
    phase = Phase.SERVING;
  }

  /** The answer is written, and a request the client sent ahead of it is read now. */
  void readingAhead() {
    arm(Phase.READING, requestNanos);
  }

  /** The answer is written and the connection waits for its next request. */
  void awaitNext() {
    arm(Phase.KEEP_ALIVE, keepAliveNanos);
  }

  private void arm(Phase next, long nanos) {
    disarm();
    phase = next;
    timer = ctx.executor().schedule(this::expired, nanos, TimeUnit.NANOSECONDS);
  }

  private void disarm() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  private void expired() {
    timer = null;
    if (!ctx.channel().isActive()) {
      return;
    }
    if (phase == Phase.READING) {
      ctx.fireUserEventTriggered(REQUEST_TIMEOUT);
    } else if (phase == Phase.KEEP_ALIVE) {
      ctx.close();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    disarm();
    ctx.fireChannelInactive();
  }
}
