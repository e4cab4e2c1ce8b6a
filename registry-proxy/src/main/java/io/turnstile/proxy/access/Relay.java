package io.turnstile.proxy.access;

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
import io.turnstile.proxy.observe.RequestRecord;
import io.turnstile.proxy.oci.HttpResponses;
import io.turnstile.proxy.oci.RegistryError;
import io.turnstile.proxy.oci.RegistryErrors;
import io.turnstile.proxy.oci.RegistryException;
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
  private final RequestRecord record;
  private final long askedNanos = System.nanoTime();
  /** Told what reached the client; null when nobody asks. */
  private final Observer observer;
  private HttpResponse delivering;
  /** Body bytes written and not yet told to the observer. */
  private long untold;
  private UpstreamClient.Call call;
  private Runnable pendingRead;
  private boolean started;
  private boolean discarding;
  private boolean finished;

  Relay(ChannelHandlerContext ctx, boolean head, boolean keepAlive, RegistryError notFound,
      RegistryBackend.Completion done) {
    this(ctx, head, keepAlive, notFound, done, null);
  }

  /** What reached the client, told on the event loop: for the pull audit log. */
  interface Observer {
    /** A 200 answer's last byte has been written. */
    default void delivered(HttpResponse upstreamHead) { }

    /** {@code bytes} more of a 2xx body have been written; told at least every MiB and at the end. */
    default void sent(long bytes) { }
  }

  private static final long TELL_EVERY = 1 << 20;
  private java.util.function.BooleanSupplier clientLeft = () -> false;

  /** @param observer told what reached the client; null for nobody */
  Relay(ChannelHandlerContext ctx, boolean head, boolean keepAlive, RegistryError notFound,
      RegistryBackend.Completion done, Observer observer) {
    this.ctx = ctx;
    this.observer = observer;
    this.head = head;
    this.keepAlive = keepAlive;
    this.notFound = notFound;
    this.done = done;
    this.record = RequestRecord.of(ctx.channel());
    this.onClientClose = f -> {
      if (call != null && !clientLeft.getAsBoolean()) {
        call.cancel();
      }
      finish(false);
    };
    ctx.channel().closeFuture().addListener(onClientClose);
  }

  /**
   * Asked once, on the event loop, when the client leaves before the end (it closed, or a write to it
   * failed): true to let the upstream
   * download go on without this client (a cache fill that others follow), false to cancel it.
   */
  void onClientLeft(java.util.function.BooleanSupplier keepUpstream) {
    this.clientLeft = keepUpstream;
  }

  /** Cancels the upstream call, if any: for a sink that carries on after the client left and then gives up. */
  void cancelUpstream() {
    if (call != null) {
      call.cancel();
    }
  }

  /** Whether the client has left (or the answer ended): nothing more reaches it. */
  boolean finished() {
    return finished;
  }

  /** The client's socket drained below the low watermark (the frontend says so): read on. */
  void writable() {
    if (pendingRead != null && ctx.channel().isWritable()) {
      Runnable r = pendingRead;
      pendingRead = null;
      r.run();
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
    record.upstream(status, System.nanoTime() - askedNanos);
    boolean passthrough = status / 100 == 2 || status == 304 || status == 416
        || (status / 100 == 3 && up.headers().contains(HttpHeaderNames.LOCATION));
    if (!passthrough) {
      discarding = true;
      var response = RegistryErrors.answer(RegistryErrors.fromUpstream(status, notFound, null,
          up.headers().get(HttpHeaderNames.RETRY_AFTER)), head);
      HttpUtil.setKeepAlive(response, keepAlive);
      ctx.writeAndFlush(response).addListener(w -> finish(keepAlive && w.isSuccess()));
      return;
    }
    if (status == 200 && observer != null) {
      delivering = up;
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
    int size = content.content().readableBytes();
    ChannelFuture written = ctx.writeAndFlush(content);
    written.addListener(w -> {
      if (w.isSuccess() && observer != null) {
        untold += size;
        if (untold >= TELL_EVERY) {
          observer.sent(untold);
          untold = 0;
        }
      }
      if (!w.isSuccess()) {
        if (!finished && call != null && !clientLeft.getAsBoolean()) {
          call.cancel();
        }
        ctx.close();
        finish(false);
      } else if (last) {
        if (delivering != null) {
          observer.delivered(delivering);
        }
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
    var response = RegistryErrors.answer(error, head);
    HttpUtil.setKeepAlive(response, keepAlive);
    ctx.writeAndFlush(response).addListener(w -> finish(keepAlive && w.isSuccess()));
  }

  private void finish(boolean reusable) {
    if (finished) {
      return;
    }
    finished = true;
    pendingRead = null;
    if (untold > 0) {
      observer.sent(untold);
      untold = 0;
    }
    ctx.channel().closeFuture().removeListener(onClientClose);
    done.finished(reusable);
  }
}
