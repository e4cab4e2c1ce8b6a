package io.turnstile.proxy.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.turnstile.proxy.oci.RegistryError;
import io.turnstile.proxy.oci.RegistryException;
import java.io.ByteArrayOutputStream;
import java.util.concurrent.CompletableFuture;

/** Reads a whole upstream answer into memory, up to a cap, completing a future on the event loop. */
public final class BufferingSink implements ResponseSink {
  private final int maxBytes;
  private final CompletableFuture<UpstreamResponse> result = new CompletableFuture<>();
  private final ByteArrayOutputStream body = new ByteArrayOutputStream();
  private HttpResponse head;
  private boolean overflow;

  public BufferingSink(int maxBytes) {
    this.maxBytes = maxBytes;
  }

  public CompletableFuture<UpstreamResponse> result() {
    return result;
  }

  @Override
  public void onHead(HttpResponse head) {
    this.head = head;
  }

  @Override
  public void onContent(HttpContent content, boolean last, Runnable readMore) {
    try {
      ByteBuf b = content.content();
      if (!overflow && body.size() + b.readableBytes() > maxBytes) {
        // Keep draining so the connection can be reused, but answer now.
        overflow = true;
        body.reset();
        result.completeExceptionally(new RegistryException(RegistryError.UPSTREAM_FAILED,
            "the upstream's answer is larger than " + maxBytes + " bytes"));
      }
      if (!overflow) {
        b.readBytes(body, b.readableBytes());
      }
    } catch (java.io.IOException e) {
      result.completeExceptionally(e);
      return;
    } finally {
      content.release();
    }
    if (last) {
      result.complete(new UpstreamResponse(head.status().code(), head.headers(), body.toByteArray()));
    } else {
      readMore.run();
    }
  }

  @Override
  public void onError(RegistryException error) {
    result.completeExceptionally(error);
  }
}
