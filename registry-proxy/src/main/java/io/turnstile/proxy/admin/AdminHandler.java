package io.turnstile.proxy.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks the bearer credential (the admin token or a personal API token), then runs the call on
 * the blocking executor (the store is blocking) as the actor it proves, and writes the answer back
 * from there; Netty hands the write to the event loop. No header names the actor: a client cannot
 * choose the name its changes are recorded under.
 */
@ChannelHandler.Sharable
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final Logger log = LoggerFactory.getLogger(AdminHandler.class);
  /** Longest wait for a client to take one piece of a streamed answer. */
  private static final Duration STALL = Duration.ofSeconds(30);

  private final AdminApi api;
  private final AdminCredentials credentials;
  private final Executor blocking;
  private final ObjectMapper json;
  /** Air-gap bundles; null for none. */
  private final AdminBundles bundles;

  AdminHandler(AdminApi api, AdminCredentials credentials, Executor blocking, ObjectMapper json,
      AdminBundles bundles) {
    this.api = api;
    this.credentials = credentials;
    this.blocking = blocking;
    this.json = json;
    this.bundles = bundles;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    if (!request.decoderResult().isSuccess()) {
      write(ctx, new AdminResponse(400, json.createObjectNode().put("error", "malformed request")), false);
      return;
    }
    String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
    InetAddress client = ctx.channel().remoteAddress() instanceof InetSocketAddress a ? a.getAddress() : null;
    long wait = credentials.secondsToWait(client);
    if (wait > 0) {
      write(ctx, new AdminResponse(429, json.createObjectNode()
          .put("error", "too many wrong admin tokens from this address; retry in " + wait + " s")
          .put("retryAfter", wait)), false);
      return;
    }
    Actor actor = credentials.authenticate(authorization, client);
    if (actor == null) {
      log.warn("admin call with {} token from {}", authorization == null ? "no" : "a wrong or revoked",
          client == null ? "-" : client.getHostAddress());
      write(ctx, new AdminResponse(401, json.createObjectNode().put("error", "unauthorized")), keepAlive);
      return;
    }
    String method = request.method().name();
    QueryStringDecoder uri = new QueryStringDecoder(request.uri());
    String bundleOf = bundles == null ? null : AdminBundles.licenseOf(uri.rawPath());
    if (bundleOf != null && (method.equals("GET") || method.equals("HEAD"))) {
      // Streamed from the upstream on this event loop, as the public listener streams it.
      bundles.serve(ctx, request, bundleOf, keepAlive);
      return;
    }
    byte[] body = ByteBufUtil.getBytes(request.content());
    try {
      String accept = request.headers().get(HttpHeaderNames.ACCEPT);
      String idempotencyKey = request.headers().get("Idempotency-Key");
      blocking.execute(() -> write(ctx, api.handle(method, uri.rawPath(), uri.parameters(), body, actor, accept,
          idempotencyKey), keepAlive));
    } catch (RejectedExecutionException e) {
      write(ctx, new AdminResponse(503, json.createObjectNode().put("error", "admin API busy, retry")), false);
    }
  }

  private void write(ChannelHandlerContext ctx, AdminResponse response, boolean keepAlive) {
    if (response.streamed() != null) {
      stream(ctx, response.streamed(), keepAlive);
      return;
    }
    byte[] bytes;
    try {
      bytes = response.body() == null ? new byte[0] : json.writerWithDefaultPrettyPrinter().writeValueAsBytes(response.body());
    } catch (Exception e) {
      log.error("cannot serialise admin response", e);
      bytes = "{\"error\":\"internal error\"}".getBytes(StandardCharsets.UTF_8);
    }
    FullHttpResponse out = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
        HttpResponseStatus.valueOf(response.status()), Unpooled.wrappedBuffer(bytes));
    if (response.body() != null) {
      out.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    }
    out.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
    if (response.status() == 429 && response.body() != null && response.body().has("retryAfter")) {
      out.headers().set(HttpHeaderNames.RETRY_AFTER, response.body().get("retryAfter").asText());
    }
    HttpUtil.setContentLength(out, bytes.length);
    HttpUtil.setKeepAlive(out, keepAlive);
    var future = ctx.writeAndFlush(out);
    if (!keepAlive) {
      future.addListener(ChannelFutureListener.CLOSE);
    }
  }

  /**
   * Writes a streamed body in chunks, each after the client has taken the one before (this runs on
   * the blocking executor, which may wait). A client that takes nothing for {@link #STALL}, or a
   * failure mid-stream, closes the connection: the status is out, so a cut is the only honest end.
   */
  private void stream(ChannelHandlerContext ctx, StreamedBody body, boolean keepAlive) {
    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    head.headers().set(HttpHeaderNames.CONTENT_TYPE, body.contentType());
    head.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
    HttpUtil.setTransferEncodingChunked(head, true);
    HttpUtil.setKeepAlive(head, keepAlive);
    ctx.write(head);
    try {
      body.writeTo(piece -> {
        ChannelFuture f = ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(piece)));
        if (!f.awaitUninterruptibly(STALL.toMillis()) || !f.isSuccess()) {
          throw new IOException("the client stopped reading");
        }
      });
      var last = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
      if (!keepAlive) {
        last.addListener(ChannelFutureListener.CLOSE);
      }
    } catch (IOException | RuntimeException e) {
      log.warn("admin export cut short: {}", e.toString());
      ctx.close();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    var call = ctx.channel().attr(AdminBundles.CALL).get();
    if (call != null && ctx.channel().isWritable()) {
      call.writable();
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("admin connection failed: {}", cause.toString());
    ctx.close();
  }
}
