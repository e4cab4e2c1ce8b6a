package io.turnstile.proxy.oci;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/**
 * An error answer that remembers the failure it was made from, so that the access log and metrics
 * read the error code and the {@link Denial} off the response instead of a second mapping. Made by
 * {@link RegistryErrors#answer} only.
 */
public final class ErrorAnswer extends DefaultFullHttpResponse {
  private final RegistryException failure;

  ErrorAnswer(RegistryException failure, ByteBuf content) {
    super(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(failure.error().status()), content);
    this.failure = failure;
  }

  public RegistryException failure() {
    return failure;
  }
}
