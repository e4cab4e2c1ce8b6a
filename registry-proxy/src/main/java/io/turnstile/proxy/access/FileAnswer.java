package io.turnstile.proxy.access;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.stream.ChunkedNioFile;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.turnstile.proxy.blobs.BlobStore;
import io.turnstile.proxy.oci.HttpResponses;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;

/**
 * Answers a blob GET or HEAD from its file in the cache: the whole file, or the one range a {@code
 * Range} header asks for (206, or 416 beyond the end), with {@code Content-Length} and {@code
 * Docker-Content-Digest}. On plain HTTP the body goes out as a {@link DefaultFileRegion}, which the
 * transport hands to {@code sendfile}: no byte crosses the JVM. Under TLS, where bytes must be
 * encrypted in user space, it is read in {@value #TLS_CHUNK}-byte pieces by the pipeline's {@link
 * ChunkedWriteHandler} as the socket drains.
 */
final class FileAnswer {
  static final int TLS_CHUNK = 64 * 1024;

  private FileAnswer() {}

  /**
   * Answers {@code c} from {@code e}'s file, and tells {@code observer} (when not null) the bytes
   * sent. Returns false, having answered nothing, when the file is gone or its size is not the
   * index's: the store has dropped it and the caller fetches the blob again.
   */
  static boolean send(RegistryCall c, BlobStore store, BlobStore.Entry e, Relay.Observer observer) {
    FileChannel file;
    long size;
    try {
      file = FileChannel.open(e.path(), StandardOpenOption.READ);
    } catch (NoSuchFileException x) {
      store.discard(e, "its file is gone");
      return false;
    } catch (IOException x) {
      store.discard(e, "it cannot be read (" + x.getMessage() + ")");
      return false;
    }
    try {
      size = file.size();
    } catch (IOException x) {
      close(file);
      store.discard(e, "it cannot be read (" + x.getMessage() + ")");
      return false;
    }
    if (size != e.size()) {
      close(file);
      store.discard(e, "its file holds " + size + " bytes of " + e.size());
      return false;
    }
    String digest = e.digest();
    ByteRange range = null;
    String ifRange = c.request().headers().get(HttpHeaderNames.IF_RANGE);
    if (ifRange == null || ifRange.equals("\"" + digest + "\"") || ifRange.equals(digest)) {
      range = ByteRange.parse(c.request().headers().get(HttpHeaderNames.RANGE), size);
    }
    if (range != null && !range.satisfiable()) {
      close(file);
      FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
          Unpooled.EMPTY_BUFFER);
      r.headers().set(HttpHeaderNames.CONTENT_RANGE, range.contentRange(size));
      r.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
      r.headers().set(HttpResponses.API_VERSION_HEADER, HttpResponses.API_VERSION);
      c.write(r);
      return true;
    }
    long start = range == null ? 0 : range.start();
    long length = range == null ? size : range.length();
    HttpResponse head = head(c, digest, range == null ? HttpResponseStatus.OK : HttpResponseStatus.PARTIAL_CONTENT, length);
    if (range != null) {
      head.headers().set(HttpHeaderNames.CONTENT_RANGE, range.contentRange(size));
    }
    ChannelHandlerContext ctx = c.ctx();
    if (c.head() || length == 0) {
      close(file);
      ctx.write(head);
      ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(f -> c.done().finished(c.keepAlive() && f.isSuccess()));
      return true;
    }
    ChannelFuture last;
    if (ctx.pipeline().get(ChunkedWriteHandler.class) != null) {
      ChunkedNioFile chunks;
      try {
        chunks = new ChunkedNioFile(file, start, length, TLS_CHUNK);
      } catch (IOException x) {
        close(file);
        store.discard(e, "it cannot be read (" + x.getMessage() + ")");
        return false;
      }
      ctx.write(head);
      last = ctx.writeAndFlush(new HttpChunkedInput(chunks));
    } else {
      ctx.write(head);
      ctx.write(new DefaultFileRegion(file, start, length));
      last = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
    }
    last.addListener(f -> {
      if (f.isSuccess()) {
        store.metrics().sentFromCache(length);
        if (observer != null) {
          observer.sent(length);
        }
        c.done().finished(c.keepAlive());
      } else {
        ctx.close();
        c.done().finished(false);
      }
    });
    return true;
  }

  /**
   * The head of an answer with the blob {@code digest}'s bytes: {@code length} of them, or chunked
   * when it is -1 (not known yet).
   */
  static HttpResponse head(RegistryCall c, String digest, HttpResponseStatus status, long length) {
    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
    head.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM);
    if (length >= 0) {
      head.headers().set(HttpHeaderNames.CONTENT_LENGTH, length);
    } else {
      HttpUtil.setTransferEncodingChunked(head, true);
    }
    head.headers().set("Docker-Content-Digest", digest);
    head.headers().set(HttpHeaderNames.ETAG, "\"" + digest + "\"");
    head.headers().set(HttpHeaderNames.ACCEPT_RANGES, HttpHeaderValues.BYTES);
    head.headers().set(HttpHeaderNames.CACHE_CONTROL, "max-age=31536000");
    head.headers().set(HttpResponses.API_VERSION_HEADER, HttpResponses.API_VERSION);
    HttpUtil.setKeepAlive(head, c.keepAlive());
    return head;
  }

  private static void close(FileChannel file) {
    try {
      file.close();
    } catch (IOException ignored) {
      // Read-only: nothing to lose.
    }
  }
}
