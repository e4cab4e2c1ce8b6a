package io.turnstile.proxy.access;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.turnstile.proxy.blobs.BlobStore;
import io.turnstile.proxy.blobs.Fill;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;

/**
 * Answers a blob GET that arrived while another request downloads the blob into the cache: from
 * the growing file, as far as the download has {@linkplain Fill#published published} it, so the
 * client's first bytes come as soon as the download's do rather than after the whole blob. The
 * answer's length is the upstream's ({@code Content-Length}), or chunked when the upstream did not
 * say. The last piece is sent only once the digest matched; when the download fails instead, the
 * connection closes short of the end, so the client never holds a blob that failed verification
 * whole. When there is nothing to follow (the download failed before its first bytes, or the blob
 * landed before this answer began), {@code otherwise} runs instead, as when the blob is waited for.
 *
 * <p>Plain HTTP sends each published stretch of the file with {@code sendfile}; under TLS it is read
 * in {@value #TLS_PIECE}-byte pieces. One write is in flight at a time, so a slow client holds back
 * only itself. Runs on the call's event loop; the download wakes it through {@link
 * Fill#awaitProgress}.
 */
final class FollowingAnswer {
  static final int TLS_PIECE = 256 * 1024;

  private final RegistryCall c;
  private final BlobStore store;
  private final Fill fill;
  private final Relay.Observer observer;
  private final Runnable otherwise;
  private final ChannelHandlerContext ctx;
  private final boolean tls;
  private final Runnable wake;
  private FileChannel file;
  private long sent;
  private boolean writing;
  private boolean finished;

  /**
   * @param observer told the bytes sent, for the pull audit log; null when nobody asks
   * @param otherwise answers the call when there is nothing to follow
   */
  FollowingAnswer(RegistryCall c, BlobStore store, Fill fill, Relay.Observer observer, Runnable otherwise) {
    this.c = c;
    this.store = store;
    this.fill = fill;
    this.observer = observer;
    this.otherwise = otherwise;
    this.ctx = c.ctx();
    this.tls = ctx.pipeline().get(ChunkedWriteHandler.class) != null;
    this.wake = () -> ctx.executor().execute(this::pump);
  }

  void start() {
    pump();
  }

  /** Sends what is published and not yet sent, ends the answer, or waits for the download. */
  private void pump() {
    if (finished || writing) {
      return;
    }
    // The state first: once it is final, the published length read after it is too.
    Fill.State state = fill.state();
    long published = fill.published();
    if (file == null && !begin(state, published)) {
      return;
    }
    if (state == Fill.State.FAILED) {
      abandon();
    } else if (published > sent) {
      send(published - sent);
    } else if (state == Fill.State.COMPLETE) {
      end();
    } else {
      fill.awaitProgress(sent, wake);
    }
  }

  /** Opens the growing file and sends the head; false when it is not (yet) there to follow. */
  private boolean begin(Fill.State state, long published) {
    if (published == 0 && state == Fill.State.RUNNING) {
      fill.awaitProgress(0, wake);
      return false;
    }
    if (published == 0 || state == Fill.State.FAILED) {
      finished = true;
      otherwise.run();
      return false;
    }
    try {
      // Opening a file costs a system call, as for a cached blob; reading it is the page cache's.
      file = FileChannel.open(fill.part(), StandardOpenOption.READ);
    } catch (IOException e) {
      // Renamed into place (landed) or deleted (failed) meanwhile: the result says which.
      finished = true;
      otherwise.run();
      return false;
    }
    store.metrics().hit();
    ctx.write(FileAnswer.head(c, c.path().reference(), HttpResponseStatus.OK, fill.length()));
    return true;
  }

  private void send(long n) {
    ChannelFuture written;
    long piece;
    if (tls) {
      piece = Math.min(n, TLS_PIECE);
      ByteBuf buf = ctx.alloc().buffer((int) piece);
      try {
        int read = buf.writeBytes(file, sent, (int) piece);
        if (read <= 0) {
          throw new IOException("the growing file ended at " + sent + " bytes");
        }
        piece = read;
      } catch (IOException e) {
        buf.release();
        abandon();
        return;
      }
      written = ctx.writeAndFlush(new DefaultHttpContent(buf));
    } else {
      piece = n;
      written = ctx.writeAndFlush(new SharedFileRegion(file, sent, n));
    }
    sent += piece;
    writing = true;
    written.addListener(f -> {
      writing = false;
      if (f.isSuccess()) {
        pump();
      } else {
        abandon();
      }
    });
  }

  private void end() {
    finished = true;
    ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(f -> {
      closeFile();
      if (f.isSuccess()) {
        told();
        c.done().finished(c.keepAlive());
      } else {
        ctx.close();
        c.done().finished(false);
      }
    });
  }

  /** Part of the answer is out and the rest will not come: closing is the only honest end. */
  private void abandon() {
    if (finished) {
      return;
    }
    finished = true;
    closeFile();
    told();
    ctx.close();
    c.done().finished(false);
  }

  private void told() {
    store.metrics().sentFromCache(sent);
    if (observer != null) {
      observer.sent(sent);
    }
  }

  private void closeFile() {
    try {
      file.close();
    } catch (IOException ignored) {
      // Read-only: nothing to lose.
    }
  }

  /** A stretch of the growing file; the file stays open for the next stretch when it is released. */
  private static final class SharedFileRegion extends DefaultFileRegion {
    SharedFileRegion(FileChannel file, long position, long count) {
      super(file, position, count);
    }

    @Override
    protected void deallocate() {
      // The answer closes the file once, at its end.
    }
  }
}
