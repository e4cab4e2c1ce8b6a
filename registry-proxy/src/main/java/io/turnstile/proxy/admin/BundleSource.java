package io.turnstile.proxy.admin;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpRequest;
import io.turnstile.proxy.oci.RegistryException;
import io.turnstile.store.Access;

/**
 * Where the admin API's air-gap bundles come from: the data plane, wired in by the server, so the
 * admin layer never reaches into the data plane itself.
 */
public interface BundleSource {
  /**
   * Answers {@code request} on {@code ctx} with a bundle of the license {@code licenseId} under
   * {@code access}, streaming it, and runs {@code done} once the answer is written or cut.
   *
   * @return what to tell when the client's socket drains; null when no source is ready yet
   * @throws RegistryException when the request is refused before anything is written
   */
  Streaming start(ChannelHandlerContext ctx, HttpRequest request, String licenseId, Access access, Done done)
      throws RegistryException;

  /** The end of one bundle answer. */
  interface Done {
    /** @param reusable whether the connection may serve another request */
    void finished(boolean reusable);
  }

  /** A bundle answer under way. */
  interface Streaming {
    /** The client's socket drained below its low watermark: streaming may go on. */
    void writable();
  }
}
