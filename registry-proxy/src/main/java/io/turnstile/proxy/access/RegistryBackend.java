package io.turnstile.proxy.access;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpRequest;
import io.turnstile.proxy.oci.RegistryError;
import io.turnstile.proxy.oci.RegistryException;
import io.turnstile.proxy.oci.RegistryPath;
import io.turnstile.store.Access;

/**
 * Serves an authenticated registry request (everything but {@code /v2/} itself): decides what the
 * license lets through and answers, from the closure cache or by proxying the upstream.
 */
public interface RegistryBackend {
  /**
   * Answers {@code request} on {@code ctx}'s channel and then runs {@code done} exactly once, on
   * the channel's event loop, when the whole answer has been written (or the connection closed).
   * The request object carries no body and is not retained beyond this call's synchronous part.
   *
   * @return the request being answered, to be told when the client's socket becomes writable again
   */
  Call serve(ChannelHandlerContext ctx, HttpRequest request, RegistryPath path, Access access, Completion done);

  /**
   * Answers {@code GET /bundles/{licenseId}} (an air-gap bundle of the license's versions) as
   * {@link #serve} answers a registry request. None by default.
   *
   * @param metered whether the license's fair-use limits apply (a customer's download, not a vendor's)
   * @throws RegistryException when the request is refused before anything is written
   */
  default Call bundle(ChannelHandlerContext ctx, HttpRequest request, String licenseId, Access access,
      boolean metered, Completion done) throws RegistryException {
    throw new RegistryException(RegistryError.NOT_FOUND, "not found");
  }

  /** How a backend says it has finished one request. */
  interface Completion {
    /** @param reusable whether the client connection may serve another request */
    void finished(boolean reusable);
  }

  /** A request being answered. */
  interface Call {
    /** The client's socket has drained below its low watermark: streaming may go on. */
    void writable();
  }
}
