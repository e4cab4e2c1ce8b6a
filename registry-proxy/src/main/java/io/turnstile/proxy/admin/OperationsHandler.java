package io.turnstile.proxy.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import io.turnstile.proxy.observe.Health;
import io.turnstile.proxy.observe.Metrics;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator endpoints of the admin listener, ahead of the admin API: {@code GET /metrics}
 * (Prometheus text), {@code GET /healthz} (alive) and {@code GET /readyz} (ready to serve pulls,
 * with JSON saying which check fails). They need no admin token, since scrapers and probes carry
 * none; they tell nothing about customers or licenses beyond counts, and the admin listener is
 * private. Anything else goes on to the admin API and its token check.
 */
@ChannelHandler.Sharable
final class OperationsHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(OperationsHandler.class);

  private final Metrics metrics;
  private final Health health;
  private final Executor blocking;
  private final ObjectMapper json;

  OperationsHandler(Operations ops, Executor blocking, ObjectMapper json) {
    this.metrics = ops.metrics();
    this.health = ops.health();
    this.blocking = blocking;
    this.json = json;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof FullHttpRequest request) || !request.decoderResult().isSuccess()
        || !(request.method().equals(HttpMethod.GET) || request.method().equals(HttpMethod.HEAD))) {
      ctx.fireChannelRead(msg);
      return;
    }
    String path = new QueryStringDecoder(request.uri()).rawPath();
    if (!path.equals("/metrics") && !path.equals("/healthz") && !path.equals("/readyz")) {
      ctx.fireChannelRead(msg);
      return;
    }
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    boolean head = request.method().equals(HttpMethod.HEAD);
    ReferenceCountUtil.release(msg);
    switch (path) {
      case "/healthz" -> {
        Health.Liveness live = health.liveness(json);
        write(ctx, live.status(), HttpHeaderValues.APPLICATION_JSON.toString(), live.body(), head, keepAlive);
      }
      case "/readyz" -> readyz(ctx, head, keepAlive);
      default -> {
        try {
          // A scrape walks every meter: a few milliseconds kept off the event loop.
          blocking.execute(() -> write(ctx, 200, Metrics.contentType(),
              metrics.scrape().getBytes(StandardCharsets.UTF_8), head, keepAlive));
        } catch (RejectedExecutionException e) {
          write(ctx, 503, "text/plain; charset=utf-8", "busy, retry\n".getBytes(StandardCharsets.UTF_8), head, false);
        }
      }
    }
  }

  private void readyz(ChannelHandlerContext ctx, boolean head, boolean keepAlive) {
    Health.Readiness r = health.readiness();
    ObjectNode body = json.createObjectNode().put("status", r.ready() ? "ready" : "not ready");
    ObjectNode checks = body.putObject("checks");
    checks.putObject("listening").put("ok", r.listening());
    checks.putObject("snapshot").put("ok", r.snapshotLoaded());
    ObjectNode store = checks.putObject("store").put("ok", r.storeReachable());
    if (r.lastContact() != null) {
      store.put("lastContact", r.lastContact().toString());
    }
    checks.putObject("stopping").put("ok", !r.stopping());
    ObjectNode threads = checks.putObject("threads").put("ok", r.failures().isEmpty());
    if (!r.failures().isEmpty()) {
      r.failures().forEach(threads.putArray("failures")::add);
    }
    byte[] bytes;
    try {
      bytes = json.writerWithDefaultPrettyPrinter().writeValueAsBytes(body);
    } catch (Exception e) {
      log.error("cannot serialise readiness", e);
      bytes = "{\"status\":\"not ready\"}".getBytes(StandardCharsets.UTF_8);
    }
    write(ctx, r.ready() ? 200 : 503, HttpHeaderValues.APPLICATION_JSON.toString(), bytes, head, keepAlive);
  }

  private static void write(ChannelHandlerContext ctx, int status, String contentType, byte[] body, boolean head,
      boolean keepAlive) {
    FullHttpResponse out = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
        head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
    out.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
    out.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
    HttpUtil.setContentLength(out, body.length);
    HttpUtil.setKeepAlive(out, keepAlive);
    var future = ctx.writeAndFlush(out);
    if (!keepAlive) {
      future.addListener(ChannelFutureListener.CLOSE);
    }
  }
}
