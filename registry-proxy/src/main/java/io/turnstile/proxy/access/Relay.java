package io.turnstile.proxy.access;

import io.turnstile.proxy.oci.RegistryError;
import io.turnstile.proxy.oci.RegistryException;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.GenericFutureListener;
import io.turnstile.proxy.oci.HttpResponses;
import io.turnstile.proxy.access.RegistryBackend;
import io.turnstile.proxy.upstream.ResponseSink;
import io.turnstile.proxy.upstream.UpstreamClient;
import java.util.List;

/**
 * Streams one upstream answer to the client, chunk by chunk: the next chunk is read from the
 * upstream only after the previous one was written to the client, so memory stays at one chunk per
 * pull whatever the blob's size. Upstream failures before the answer starts become OCI errors; a
 * failure mid-body closes the client connection, so a truncated body is never taken as whole.
 */
final class Relay implements ResponseSink {
  /** Upstream headers a client may see. */
  private static final List<CharSequence> FORWARDED = List.of(
      HttpHeaderNames.CONTENT_TYPE, HttpHeaderNames.CONTENT_LENGTH, "Docker-Content-Digest", HttpHeaderNames.ETAG,
      HttpHeaderNames.CONTENT_RANGE, HttpHeaderNames.ACCEPT_RANGES, HttpHeaderNames.LAST_MODIFIED,
      HttpHeaderNames.CONTENT_ENCODING, HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.CACHE_CONTROL,
      HttpHeaderNames.EXPIRES, HttpHeaderNames.RETRY_AFTER, "OCI-Subject", "OCI-Filters-Applied");

  private final ChannelHandlerContext ctx;
  private final boolean head;
  private final boolean keepAlive;
  private final RegistryError notFound;
  private final RegistryBackend.Completion done;
  private final GenericFutureListener<io.netty.util.concurrent.Future<? super Void>> onClientClose;
  private final WritabilityWatch watch = new WritabilityWatch();
  private UpstreamClient.Call call;
  private Runnable pendingRead;
  private boolean started;
  private boolean discarding;
  private boolean finished;

  Relay(ChannelHandlerContext ctx, boolean head, boolean keepAlive, RegistryError notFound,
      RegistryBackend.Completion done) {
    this.ctx = ctx;
    this.head = head;
    this.keepAlive = keepAlive;
    this.notFound = notFound;
    this.done = done;
    this.onClientClose = f -> {
      if (call != null) {
        call.cancel();
      }
      finish(false);
    };
    ctx.channel().closeFuture().addListener(onClientClose);
    if (ctx.pipeline().get(WATCH) != null) {
      ctx.pipeline().remove(WATCH);
    }
    ctx.pipeline().addLast(WATCH, watch);
  }

  private static final String WATCH = "relayWritability";

  /** Resumes reading the upstream when the client's socket drains below the low watermark. */
  private final class WritabilityWatch extends io.netty.channel.ChannelInboundHandlerAdapter {
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext c) {
      if (c.channel().isWritable() && pendingRead != null) {
        Runnable r = pendingRead;
        pendingRead = null;
        r.run();
      }
      c.fireChannelWritabilityChanged();
    }
  }

  void call(UpstreamClient.Call call) {
    this.call = call;
    if (finished) {
      call.cancel();
    }
  }

  @Override
  public void onHead(HttpResponse up) {
    started = true;
    int status = up.status().code();
    boolean passthrough = status / 100 == 2 || status == 304 || status == 416
        || (status / 100 == 3 && up.headers().contains(HttpHeaderNames.LOCATION));
    if (!passthrough) {
      discarding = true;
      RegistryError error = status == 404 ? notFound : mapStatus(status);
      String message = status == 404 ? notFoundMessage() : "the upstream registry answered " + status;
      var response = HttpResponses.error(error, message, null, head);
      String retryAfter = up.headers().get(HttpHeaderNames.RETRY_AFTER);
      if (retryAfter != null) {
        response.headers().set(HttpHeaderNames.RETRY_AFTER, retryAfter);
      }
      HttpUtil.setKeepAlive(response, keepAlive);
      ctx.writeAndFlush(response).addListener(w -> finish(keepAlive && w.isSuccess()));
      return;
    }
    HttpResponse out = new DefaultHttpResponse(HttpVersion.HTTP_1_1, up.status());
    HttpHeaders from = up.headers();
    for (CharSequence name : FORWARDED) {
      List<String> values = from.getAll(name);
      if (!values.isEmpty()) {
        out.headers().set(name, values);
      }
    }
    if (status / 100 == 3) {
      out.headers().set(HttpHeaderNames.LOCATION, from.get(HttpHeaderNames.LOCATION));
    }
    out.headers().set(HttpResponses.API_VERSION_HEADER, HttpResponses.API_VERSION);
    if (!head && status != 304 && !HttpUtil.isContentLengthSet(out) && !HttpUtil.isTransferEncodingChunked(out)) {
      HttpUtil.setTransferEncodingChunked(out, true);
    }
    HttpUtil.setKeepAlive(out, keepAlive);
    ctx.write(out);
  }

  private String notFoundMessage() {
    return switch (notFound) {
      case BLOB_UNKNOWN -> "blob unknown to registry";
      case MANIFEST_UNKNOWN -> "manifest unknown";
      default -> "not found";
    };
  }

  static RegistryError mapStatus(int status) {
    return switch (status) {
      case 404 -> RegistryError.NOT_FOUND;
      case 429 -> RegistryError.TOO_MANY_REQUESTS;
      case 503 -> RegistryError.UPSTREAM_UNAVAILABLE;
      case 504 -> RegistryError.UPSTREAM_TIMEOUT;
      default -> RegistryError.UPSTREAM_FAILED;
    };
  }

  @Override
  public void onContent(HttpContent content, boolean last, Runnable readMore) {
    if (discarding) {
      // Drain the upstream's error body so its connection goes back to the pool.
      content.release();
      if (!last) {
        readMore.run();
      }
      return;
    }
    if (finished) {
      content.release();
      return;
    }
    ChannelFuture written = ctx.writeAndFlush(content);
    written.addListener(w -> {
      if (!w.isSuccess()) {
        if (call != null) {
          call.cancel();
        }
        ctx.close();
        finish(false);
      } else if (last) {
        finish(keepAlive);
      }
    });
    if (last) {
      return;
    }
    // Keep the client's socket busy: read on while its outbound buffer is under the high
    // watermark, and wait for it to drain otherwise. Memory per pull stays bounded by the mark.
    if (ctx.channel().isWritable()) {
      readMore.run();
    } else {
      pendingRead = readMore;
    }
  }

  @Override
  public void onError(RegistryException error) {
    if (finished) {
      return;
    }
    if (started && !discarding) {
      // Part of the answer is out: closing is the only honest way to end it.
      ctx.close();
      finish(false);
      return;
    }
    if (discarding) {
      return;
    }
    started = true;
    var response = HttpResponses.error(error.error(), error.getMessage(), error.detail(), head);
    HttpUtil.setKeepAlive(response, keepAlive);
    ctx.writeAndFlush(response).addListener(w -> finish(keepAlive && w.isSuccess()));
  }

  private void finish(boolean reusable) {
    if (finished) {
      return;
    }
    finished = true;
    pendingRead = null;
    ctx.channel().closeFuture().removeListener(onClientClose);
    if (ctx.pipeline().get(WATCH) != null) {
      ctx.pipeline().remove(WATCH);
    }
    done.finished(reusable);
  }
}
