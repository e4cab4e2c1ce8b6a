package io.turnstile.proxy.server;

import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * What a client sent after a request whose answer is not written yet (HTTP/1.1 pipelining): held
 * in order, to be read once that answer is done, so every request is answered in the order it came
 * (RFC 9112, section 9.3.2). The socket is not read meanwhile (AUTO_READ is off), so what is held is
 * at most what the last read brought; a client that sends more than {@link #MAX_HELD} messages
 * ahead is refused. Not thread-safe: the connection's event loop owns it.
 */
final class HeldMessages {
  /** Most decoded messages (request heads and body pieces) held for one connection. */
  static final int MAX_HELD = 256;

  private final ArrayDeque<Object> held = new ArrayDeque<>();

  /** Holds a retained {@code msg}; false, holding nothing, when {@link #MAX_HELD} are held already. */
  boolean hold(Object msg) {
    if (held.size() >= MAX_HELD) {
      return false;
    }
    held.add(ReferenceCountUtil.retain(msg));
    return true;
  }

  boolean isEmpty() {
    return held.isEmpty();
  }

  /** The oldest message held, now the caller's to release; null when none. */
  Object next() {
    return held.poll();
  }

  /** Releases every message held. */
  void release() {
    Object msg;
    while ((msg = held.poll()) != null) {
      ReferenceCountUtil.release(msg);
    }
  }
}
