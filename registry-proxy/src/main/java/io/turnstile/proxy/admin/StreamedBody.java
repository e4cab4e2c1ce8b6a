package io.turnstile.proxy.admin;

import java.io.IOException;

/**
 * An answer body written piece by piece on the blocking executor, each piece only once the client
 * has taken the one before, so a long export holds one piece in memory, not the whole answer.
 */
interface StreamedBody {
  String contentType();

  /** Writes the body through {@code out}; an {@link IOException} from it means the client is gone. */
  void writeTo(Sink out) throws IOException;

  /** Where the pieces go. */
  interface Sink {
    void write(byte[] piece) throws IOException;
  }
}
