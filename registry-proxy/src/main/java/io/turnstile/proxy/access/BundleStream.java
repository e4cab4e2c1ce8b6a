package io.turnstile.proxy.access;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import io.turnstile.proxy.oci.RegistryException;
import io.turnstile.proxy.upstream.ResponseSink;
import io.turnstile.proxy.upstream.UpstreamClient;
import io.turnstile.proxy.upstream.UpstreamRequest;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the bytes {@code [from, to)} of a bundle's archive to the client, on the channel's event
 * loop, segment by segment: held bytes from memory, blobs from their upstream one at a time. The
 * next piece is read only after the previous one was written while the client's socket is under
 * its high watermark, and otherwise when it drains ({@link #writable}), so memory stays at about
 * one chunk whatever the bundle's size. A blob its upstream's cache holds is sent from the cached
 * file instead ({@link BundleCacheReads}), already verified.
 *
 * <p>A blob sent from its first byte is hashed as it passes and its last piece is held back until
 * the digest matches; a mismatch, or a blob longer or shorter than its descriptor, closes the
 * connection, so the client never has a whole archive with a corrupt blob in it (its download
 * falls short of the {@code Content-Length}). A blob resumed in its middle is asked of the upstream
 * with a {@code Range} of its own: if the upstream answers the whole blob (200), the skipped bytes
 * are hashed too and the digest is checked as above; if it answers the range (206), its start is
 * checked against the {@code Content-Range} and the byte count against the descriptor, but the
 * digest cannot be, since the bytes before the cut were sent by an earlier request. An archive is
 * only as sound as the digests the tools that read it check again (skopeo, containerd and docker
 * do).
 */
final class BundleStream implements RegistryBackend.Call {
  private static final Logger log = LoggerFactory.getLogger(BundleStream.class);

  /** What the stream tells as it goes and when it ends. */
  interface Outcome {
    /** @param sent body bytes written; {@code complete} whether the whole range was */
    void ended(long sent, boolean complete);

    /** {@code bytes} of blob content written (tar headers, padding and manifests are not). */
    default void blobBytes(long bytes) {}
  }

  private final ChannelHandlerContext ctx;
  private final UpstreamClient client;
  private final BundleCacheReads cache;
  private final BundleLayout layout;
  private final long to;
  private final boolean keepAlive;
  private final RegistryBackend.Completion done;
  private final Outcome outcome;
  private final GenericFutureListener<Future<? super Void>> onClientClose;
  private long position;
  private long sent;
  private Runnable pendingRead;
  private boolean waitingToWrite;
  private UpstreamClient.Call call;
  private boolean finished;

  BundleStream(ChannelHandlerContext ctx, UpstreamClient client, BundleCacheReads cache, BundleLayout layout,
      long from, long to, boolean keepAlive, RegistryBackend.Completion done, Outcome outcome) {
    this.ctx = ctx;
    this.client = client;
    this.cache = cache;
    this.layout = layout;
    this.position = from;
    this.to = to;
    this.keepAlive = keepAlive;
    this.done = done;
    this.outcome = outcome;
    this.onClientClose = f -> abort(null);
  }

  /** Writes {@code head}, then the bytes. */
  void start(HttpResponse head) {
    ctx.channel().closeFuture().addListener(onClientClose);
    ctx.write(head).addListener(failed());
    next();
  }

  @Override
  public void writable() {
    if (!ctx.channel().isWritable()) {
      return;
    }
    if (pendingRead != null) {
      Runnable r = pendingRead;
      pendingRead = null;
      r.run();
    } else if (waitingToWrite) {
      waitingToWrite = false;
      next();
    }
  }

  /** Writes held bytes while the socket takes them, and starts the next blob. */
  private void next() {
    while (!finished) {
      if (position >= to) {
        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(w -> {
          if (w.isSuccess()) {
            end(keepAlive, true);
          } else {
            abort(null);
          }
        });
        return;
      }
      if (!ctx.channel().isWritable()) {
        ctx.flush();
        waitingToWrite = true;
        return;
      }
      int i = layout.segmentAt(position);
      long offset = position - layout.start(i);
      long length = Math.min(layout.segment(i).size() - offset, to - position);
      if (layout.segment(i) instanceof BundleLayout.Inline held) {
        write(Unpooled.wrappedBuffer(held.bytes(), (int) offset, (int) length), false);
        ctx.flush();
      } else {
        BundleBlob blob = ((BundleLayout.Streamed) layout.segment(i)).blob();
        cache.send(ctx, blob, offset, length, ok -> fromCache(ok, length), () -> {
          if (!finished) {
            fetch(blob, offset, length);
          }
        });
        return;
      }
    }
  }

  /** A piece of a blob read from the cache was written, or failed. */
  private void fromCache(boolean ok, long length) {
    if (finished) {
      return;
    }
    if (!ok) {
      abort(null);
      return;
    }
    position += length;
    sent += length;
    outcome.blobBytes(length);
    next();
  }

  private void write(ByteBuf bytes, boolean blob) {
    int n = bytes.readableBytes();
    position += n;
    ctx.write(new DefaultHttpContent(bytes)).addListener(w -> {
      if (w.isSuccess()) {
        sent += n;
        if (blob) {
          outcome.blobBytes(n);
        }
      } else {
        abort(null);
      }
    });
  }

  /** Streams {@code length} bytes of {@code blob} from {@code offset} from its upstream. */
  private void fetch(BundleBlob blob, long offset, long length) {
    ClosureCache.Source src = blob.source();
    Map<String, String> headers = offset == 0 && length == blob.size()
        ? Map.of()
        : Map.of(HttpHeaderNames.RANGE.toString(), "bytes=" + offset + "-" + (offset + length - 1));
    call = client.send(ctx.channel().eventLoop(), src.upstream(), src.creds(), new UpstreamRequest("GET",
        "/v2/" + src.repository() + "/blobs/" + blob.digest(), src.repository(), headers, true),
        new BlobPiece(blob, offset, length));
  }

  /** Hears one blob's answer and passes the wanted bytes on. */
  private final class BlobPiece implements ResponseSink {
    private final BundleBlob blob;
    private final long offset;
    private final long length;
    /** Bytes of the answer read so far, counted from its own first byte. */
    private long read;
    /** Where the answer's first byte is in the blob. */
    private long answerStart;
    private MessageDigest hash;
    private long written;
    private boolean over;
    private boolean draining;

    BlobPiece(BundleBlob blob, long offset, long length) {
      this.blob = blob;
      this.offset = offset;
      this.length = length;
    }

    @Override
    public void onHead(HttpResponse head) {
      int status = head.status().code();
      if (status == 200) {
        answerStart = 0;
        hash = sha256();
      } else if (status == 206 && startsAt(head.headers().get(HttpHeaderNames.CONTENT_RANGE), offset)) {
        answerStart = offset;
      } else {
        fail(blob, "the upstream answered " + status + " for it");
      }
    }

    @Override
    public void onContent(HttpContent content, boolean last, Runnable readMore) {
      try {
        if (over || finished) {
          return;
        }
        if (draining) {
          // Every wanted byte is out; only the answer's empty end is still to come.
          if (last) {
            over = true;
            next();
          } else {
            readMore.run();
          }
          return;
        }
        take(content.content());
        if (over || finished) {
          return;
        }
        if (written == length) {
          boolean answerRead = hash != null ? read == blob.size() : read == length;
          if (last) {
            over = true;
            next();
          } else if (answerRead) {
            draining = true;
            readMore.run();
          } else if (hash == null) {
            // The asked range ends inside the blob: the rest is not wanted.
            over = true;
            call.cancel();
            next();
          } else {
            // A whole answer to a range: read to its end to check the digest.
            readMore.run();
          }
          return;
        }
        if (last) {
          fail(blob, "it is shorter than its descriptor says");
          return;
        }
        ctx.flush();
        if (ctx.channel().isWritable()) {
          readMore.run();
        } else {
          pendingRead = readMore;
        }
      } finally {
        content.release();
      }
    }

    /** Checks one piece of the answer and writes the part of it inside the wanted range. */
    private void take(ByteBuf bytes) {
      int n = bytes.readableBytes();
      long at = answerStart + read;
      read += n;
      if (answerStart + read > blob.size()) {
        fail(blob, "it is longer than its descriptor says");
        return;
      }
      if (hash != null) {
        for (ByteBuffer b : bytes.nioBuffers()) {
          hash.update(b);
        }
        if (read == blob.size() && !matches(hash, blob.digest())) {
          // Checked before the piece is written: the blob's last bytes never reach the client.
          fail(blob, "it does not match its digest");
          return;
        }
      }
      long from = Math.max(at, offset);
      long until = Math.min(at + n, offset + length);
      if (until > from) {
        write(bytes.retainedSlice(bytes.readerIndex() + (int) (from - at), (int) (until - from)), true);
        written += until - from;
      }
    }

    @Override
    public void onError(RegistryException error) {
      if (!over) {
        fail(blob, error.getMessage());
      }
    }
  }

  private void fail(BundleBlob blob, String why) {
    log.warn("bundle cut short at byte {}: blob {} could not be sent: {}", position, blob.digest(), why);
    abort(null);
  }

  /** Ends the answer by closing the connection: part of it is out, so nothing else is honest. */
  private void abort(Void unused) {
    if (finished) {
      return;
    }
    if (call != null) {
      call.cancel();
    }
    ctx.close();
    end(false, false);
  }

  private void end(boolean reusable, boolean complete) {
    if (finished) {
      return;
    }
    finished = true;
    pendingRead = null;
    ctx.channel().closeFuture().removeListener(onClientClose);
    outcome.ended(sent, complete);
    done.finished(reusable);
  }

  private ChannelFutureListener failed() {
    return w -> {
      if (!w.isSuccess()) {
        abort(null);
      }
    };
  }

  /** Whether a {@code Content-Range: bytes a-b/n} starts at {@code offset}. */
  private static boolean startsAt(String contentRange, long offset) {
    if (contentRange == null || !contentRange.startsWith("bytes ")) {
      return false;
    }
    int dash = contentRange.indexOf('-');
    try {
      return dash > 6 && Long.parseLong(contentRange.substring(6, dash).trim()) == offset;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static boolean matches(MessageDigest hash, String digest) {
    return ("sha256:" + HexFormat.of().formatHex(hash.digest())).equals(digest);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
