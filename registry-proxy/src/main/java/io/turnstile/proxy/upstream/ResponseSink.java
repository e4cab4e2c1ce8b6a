package io.turnstile.proxy.upstream;

import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.turnstile.proxy.oci.RegistryException;

/**
 * Receives one upstream answer. Calls arrive on the event loop of the channel that asked, in
 * order: {@link #onHead}, then {@link #onContent} until the one holding the last content, or
 * {@link #onError} at any point (after which nothing more arrives).
 */
public interface ResponseSink {
  /** The status line and headers, after authentication retries and followed redirects. */
  void onHead(HttpResponse head);

  /**
   * One piece of the body; the sink owns {@code content} and must release it. The next piece is
   * read only once {@code readMore} runs: that is the backpressure.
   *
   * @param last whether this is the final piece
   */
  void onContent(HttpContent content, boolean last, Runnable readMore);

  /** The exchange failed; the message is safe to show to a client. */
  void onError(RegistryException error);
}
