package io.turnstile.proxy.access;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.stream.ChunkedNioFile;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.turnstile.proxy.blobs.BlobStore;
import io.turnstile.proxy.blobs.BlobStores;
import io.turnstile.proxy.concurrent.EventLoops;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;

/**
 * Where a bundle's blob is read when its upstream has a blob cache holding it: from the cached file,
 * which the store has verified against its digest (a file found on disk at start is hashed once,
 * on the store's executor, before it is first used), so the upstream is not asked at all. On plain
 * HTTP the bytes go out as a {@link DefaultFileRegion} ({@code sendfile}); under TLS, in pieces
 * read as the socket drains by the pipeline's {@link ChunkedWriteHandler}. A pipeline with TLS and
 * no such handler (the admin listener), a blob not in the cache, or a file gone or of another size
 * is read from the upstream as before. Bundles do not fill the cache: a pull does.
 */
final class BundleCacheReads {
  /** What a piece read from the cache ends with. */
  interface Then {
    /** The piece is out ({@code ok}), or the write failed. */
    void written(boolean ok);
  }

  private final BlobStores blobs;

  /** @param blobs the upstreams' blob caches; null for none */
  BundleCacheReads(BlobStores blobs) {
    this.blobs = blobs;
  }

  /**
   * Sends {@code length} bytes of {@code blob} from {@code offset} from its cached file and tells
   * {@code then} once written; or, when it cannot, runs {@code otherwise} (on the channel's event
   * loop) having written nothing.
   */
  void send(ChannelHandlerContext ctx, BundleBlob blob, long offset, long length, Then then, Runnable otherwise) {
    BlobStore store = blobs == null ? null : blobs.of(blob.source().upstream().name());
    boolean canWrite = ctx.pipeline().get(SslHandler.class) == null
        || ctx.pipeline().get(ChunkedWriteHandler.class) != null;
    BlobStore.Entry e = store == null || !canWrite ? null : store.lookup(blob.digest());
    if (e == null || e.size() != blob.size()) {
      otherwise.run();
      return;
    }
    EventLoops.whenDone(ctx.channel().eventLoop(), store.verified(e), (ok, err) -> {
      if (err != null || !ok || !write(ctx, store, e, offset, length, then)) {
        otherwise.run();
      }
    });
  }

  private static boolean write(ChannelHandlerContext ctx, BlobStore store, BlobStore.Entry e, long offset,
      long length, Then then) {
    FileChannel file;
    try {
      // Opening a file is the one piece of file work done on the event loop (as for a pull).
      file = FileChannel.open(e.path(), StandardOpenOption.READ);
      if (file.size() != e.size()) {
        file.close();
        store.discard(e, "its file holds another number of bytes than the index says");
        return false;
      }
    } catch (NoSuchFileException x) {
      store.discard(e, "its file is gone");
      return false;
    } catch (IOException x) {
      store.discard(e, "it cannot be read (" + x.getMessage() + ")");
      return false;
    }
    ChannelFuture f;
    if (ctx.pipeline().get(ChunkedWriteHandler.class) != null) {
      try {
        f = ctx.writeAndFlush(new ChunkedNioFile(file, offset, length, FileAnswer.TLS_CHUNK));
      } catch (IOException x) {
        closeQuietly(file);
        return false;
      }
    } else {
      f = ctx.writeAndFlush(new DefaultFileRegion(file, offset, length));
    }
    f.addListener(w -> {
      if (w.isSuccess()) {
        store.metrics().sentFromCache(length);
      }
      then.written(w.isSuccess());
    });
    return true;
  }

  private static void closeQuietly(FileChannel file) {
    try {
      file.close();
    } catch (IOException ignored) {
      // Read-only: nothing to lose.
    }
  }
}
