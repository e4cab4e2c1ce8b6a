package io.turnstile.proxy.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * A port on 127.0.0.1 where nothing listens, for as long as this is open: a connection to it is
 * refused. It is held by a socket bound to it that never listens, so no other program can start
 * listening there meanwhile, as it could on a port that was merely free a moment ago.
 */
public final class ClosedPort implements AutoCloseable {
  private final Socket holder = new Socket();

  public ClosedPort() throws IOException {
    holder.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
  }

  public int port() {
    return holder.getLocalPort();
  }

  @Override
  public void close() throws IOException {
    holder.close();
  }
}
