package io.turnstile.proxy.access;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
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
 * 200, a body larger than the cache or an upstream failure abandons the fill: nothing is kept, and
 * those waiting for it learn why. The client leaving abandons it too, unless others follow the
 * download: then it goes on without that client, paced by the cache's lanes alone, so the followers
 * still get the whole blob.
 */
final class FillingSink implements ResponseSink {
  private final Relay relay;
  private final Fill fill;
  private final ChannelHandlerContext ctx;
  private final long maxSize;
  private boolean filling;
  /** The client left while others followed: the download goes on into the cache, for them. */
  private boolean detached;
  /** The next upstream read while the relay holds it for the client's socket to drain; null once run. */
  private Runnable outstanding;

  /** @param ctx the client's: its closing abandons the fill */
  FillingSink(ChannelHandlerContext ctx, Relay relay, Fill fill, long maxSize) {
    this.relay = relay;
    this.fill = fill;
    this.ctx = ctx;
    this.maxSize = maxSize;
    this.filling = true;
    relay.onClientLeft(() -> {
      if (filling && fill.hasFollowers()) {
        detached = true;
        // The relay drops a read it held for the client: the cache's lanes pace the download now.
        Runnable held = outstanding;
        if (held != null) {
          ctx.executor().execute(held);
        }
        return true;
      }
      stop("the client left before the end", null);
      return false;
    });
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
    if (detached) {
      carryOn(content, last, readMore);
      return;
    }
    if (!fill.active()) {
      // Grown beyond the cache's maxSize: relayed on, not kept.
      filling = false;
      relay.onContent(content, last, readMore);
      return;
    }
    if (last) {
      filling = false;
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
    relay.onContent(content, false, once(readMore));
  }

  /** {@code readMore} once the cache's lanes keep up, run at most once: by the relay, or on detaching. */
  private Runnable once(Runnable readMore) {
    boolean[] ran = {false};
    Runnable r = () -> {
      if (!ran[0]) {
        ran[0] = true;
        outstanding = null;
        fill.whenCaughtUp(ctx.executor(), readMore);
      }
    };
    outstanding = r;
    return r;
  }

  /** With the client gone: the piece is in the fill's lanes already; read on as they keep up. */
  private void carryOn(HttpContent content, boolean last, Runnable readMore) {
    content.release();
    if (!fill.active()) {
      filling = false;
      relay.cancelUpstream();
    } else if (last) {
      filling = false;
      fill.finish();
    } else {
      fill.whenCaughtUp(ctx.executor(), readMore);
    }
  }

  @Override
  public void onError(RegistryException error) {
    stop("the download failed: " + error.getMessage(), null);
    relay.onError(error);
  }

  private void stop(String why, RegistryException answer) {
    if (filling) {
      filling = false;
      fill.abort(why, answer);
    }
  }
}
