package io.turnstile.store.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A TCP relay between a store and its PostgreSQL server that a test can cut: every connection at
 * once ({@link #cut}, refusing new ones until {@link #restore}), or one connection just after it
 * forwarded the client's {@code COMMIT} and before the server's answer comes back ({@link
 * #cutAfterNextCommit}): the commit happens, and the client never learns it.
 */
public final class TcpRelay implements AutoCloseable {
  /** A Parse message's statement name (empty: unnamed) and its query, COMMIT. */
  private static final Pattern PARSE_COMMIT = Pattern.compile("P[\\s\\S]{4}(S_[0-9]+|)\\x00COMMIT\\x00");
  /** A simple Query message of COMMIT. */
  private static final Pattern SIMPLE_COMMIT = Pattern.compile("Q[\\s\\S]{4}COMMIT\\x00");
  /** A Bind message of the unnamed portal to a named statement. */
  private static final Pattern BIND = Pattern.compile("B[\\s\\S]{4}\\x00(S_[0-9]+)\\x00");

  private final ServerSocket server;
  private final int targetPort;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean cutAfterCommit = new AtomicBoolean();
  private final AtomicBoolean commitCut = new AtomicBoolean();
  private volatile boolean down;

  /** Relays a free loopback port to {@code targetPort} on loopback. */
  public TcpRelay(int targetPort) throws IOException {
    this.targetPort = targetPort;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread accept = new Thread(this::accept, "tcp-relay-accept");
    accept.setDaemon(true);
    accept.start();
  }

  /** The relay's port, to put in the store's URL in place of the server's. */
  public int port() {
    return server.getLocalPort();
  }

  /** {@code url} (a {@code jdbc:postgresql://127.0.0.1:<port>/...} URL) pointed at the relay. */
  public String relayed(String url) {
    return url.replace(":" + targetPort + "/", ":" + port() + "/");
  }

  /** Closes every relayed connection and refuses new ones: the database is unreachable. */
  public void cut() {
    down = true;
    for (Socket s : open) {
      closeQuietly(s);
    }
  }

  /** Relays new connections again. */
  public void restore() {
    down = false;
  }

  /** The next {@code COMMIT} a client sends is forwarded, then its connection is closed both ways. */
  public void cutAfterNextCommit() {
    commitCut.set(false);
    cutAfterCommit.set(true);
  }

  /** Whether a connection was cut after its {@code COMMIT} since {@link #cutAfterNextCommit}. */
  public boolean commitWasCut() {
    return commitCut.get();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        if (down) {
          client.close();
          continue;
        }
        Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
        open.add(client);
        open.add(upstream);
        pump(client, upstream, true);
        pump(upstream, client, false);
      } catch (IOException e) {
        // the server socket was closed, or the database is down: the client sees its connection refused
      }
    }
  }

  private void pump(Socket from, Socket to, boolean fromClient) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[16384];
      Set<String> commitStatements = new java.util.HashSet<>();
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buf)) >= 0) {
          out.write(buf, 0, n);
          out.flush();
          if (fromClient && commits(new String(buf, 0, n, StandardCharsets.ISO_8859_1), commitStatements)
              && cutAfterCommit.compareAndSet(true, false)) {
            commitCut.set(true);
            break;
          }
        }
      } catch (IOException e) {
        // either side went away: close both below
      } finally {
        closeQuietly(from);
        closeQuietly(to);
        open.remove(from);
        open.remove(to);
      }
    }, "tcp-relay-pump");
    t.setDaemon(true);
    t.start();
  }

  /**
   * Whether these bytes from the client carry a {@code COMMIT}: as text (a simple query, or the
   * unnamed statement of the extended protocol), or as a Bind of a statement the driver prepared
   * from {@code COMMIT} earlier on this connection (the JDBC driver does so after a few commits,
   * and then sends only the statement's name). Remembers such statements in {@code named}.
   */
  private static boolean commits(String chunk, Set<String> named) {
    Matcher parse = PARSE_COMMIT.matcher(chunk);
    boolean commit = false;
    while (parse.find()) {
      if (parse.group(1).isEmpty()) {
        commit = true;
      } else {
        named.add(parse.group(1));
      }
    }
    if (commit || SIMPLE_COMMIT.matcher(chunk).find()) {
      return true;
    }
    Matcher bind = BIND.matcher(chunk);
    while (bind.find()) {
      if (named.contains(bind.group(1))) {
        return true;
      }
    }
    return false;
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closed either way
    }
  }

  @Override
  public void close() {
    cut();
    try {
      server.close();
    } catch (IOException ignored) {
      // closed either way
    }
  }
}
