package io.turnstile.proxy.access;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import io.turnstile.proxy.blobs.Fill;
import io.turnstile.proxy.concurrent.EventLoops;
import io.turnstile.proxy.oci.RegistryError;
import io.turnstile.proxy.oci.RegistryErrors;
import io.turnstile.proxy.oci.RegistryException;
import io.turnstile.proxy.upstream.ResponseSink;

/**
 * A cold blob GET: the upstream's answer goes to the client through a {@link Relay} and, piece by
 * piece, into a {@link Fill} at the same time. The client does not wait for the disk, which has its
 * own thread, and that thread hashes too, so no event loop does; only when the disk falls {@link
 * Fill#behind} does the next upstream read wait for it, so memory stays bounded. The last piece
 * reaches the client only once the whole body's SHA-256 matched the digest: on a mismatch the
 * connection closes short of it, so the client never holds the wrong content whole. Anything but a
 * 200, a body larger than the cache, an upstream failure or the client leaving abandons the fill:
 * nothing is kept, and those waiting for it learn why.
 */
final class FillingSink implements ResponseSink {
  private final Relay relay;
  private final Fill fill;
  private final ChannelHandlerContext ctx;
  private final long maxSize;
  private final GenericFutureListener<Future<? super Void>> onClientClose;
  private boolean filling;

  /** @param ctx the client's: its closing abandons the fill */
  FillingSink(ChannelHandlerContext ctx, Relay relay, Fill fill, long maxSize) {
    this.relay = relay;
    this.fill = fill;
    this.ctx = ctx;
    this.maxSize = maxSize;
    this.onClientClose = f -> stop("the client left before the end", null);
    // Until the head arrives, the fill is this request's: a client that leaves ends it.
    this.filling = true;
    ctx.channel().closeFuture().addListener(onClientClose);
  }

  @Override
  public void onHead(HttpResponse head) {
    int status = head.status().code();
    if (status != 200) {
      boolean refusal = status / 100 == 4 || status / 100 == 5;
      stop("the upstream answered " + status, refusal ? RegistryErrors.fromUpstream(status, RegistryError.BLOB_UNKNOWN,
          null, head.headers().get(HttpHeaderNames.RETRY_AFTER)) : null);
    } else if (HttpUtil.getContentLength(head, -1L) > maxSize) {
      stop("it is larger than the cache's maxSize (" + HttpUtil.getContentLength(head, -1L) + " bytes)", null);
    } else if (head.headers().contains(HttpHeaderNames.CONTENT_ENCODING)
        && !head.headers().contains(HttpHeaderNames.CONTENT_ENCODING, "identity", true)) {
      // Encoded in transit: what arrives is not the bytes the digest names.
      stop("the upstream sent it with Content-Encoding " + head.headers().get(HttpHeaderNames.CONTENT_ENCODING), null);
    } else {
      fill.started(HttpUtil.getContentLength(head, -1L));
    }
    relay.onHead(head);
  }

  @Override
  public void onContent(HttpContent content, boolean last, Runnable readMore) {
    if (!filling) {
      relay.onContent(content, last, readMore);
      return;
    }
    fill.write(content.content());
    if (!fill.active()) {
      // Grown beyond the cache's maxSize: relayed on, not kept.
      filling = false;
      ctx.channel().closeFuture().removeListener(onClientClose);
      relay.onContent(content, last, readMore);
      return;
    }
    if (last) {
      filling = false;
      ctx.channel().closeFuture().removeListener(onClientClose);
      // The digest is computed off the event loop: the last piece waits for it there.
      EventLoops.whenDone(ctx.channel().eventLoop(), fill.finish(), (matched, err) -> {
        if (Boolean.TRUE.equals(matched)) {
          relay.onContent(content, true, readMore);
          return;
        }
        content.release();
        relay.onError(new RegistryException(RegistryError.UPSTREAM_FAILED,
            "the upstream registry sent a blob that does not match its digest"));
      });
      return;
    }
    relay.onContent(content, false, () -> fill.whenCaughtUp(ctx.executor(), readMore));
  }

  @Override
  public void onError(RegistryException error) {
    stop("the download failed: " + error.getMessage(), null);
    relay.onError(error);
  }

  private void stop(String why, RegistryException answer) {
    if (filling) {
      filling = false;
      ctx.channel().closeFuture().removeListener(onClientClose);
      fill.abort(why, answer);
    }
  }
}
