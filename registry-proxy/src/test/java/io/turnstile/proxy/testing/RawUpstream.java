package io.turnstile.proxy.testing;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** Upstreams written on raw sockets, for failures WireMock cannot stage: endless and truncated blobs. */
public final class RawUpstream {
  private RawUpstream() {}

  /** A raw upstream whose blobs never end: it notices when its reader hangs up. */
  public static void serveEndless(ServerSocket server, byte[] manifest, java.util.concurrent.CountDownLatch closed) {
    acceptOnThreads(server, (in, out) -> {
      while (true) {
        String line = readHead(in);
        if (line == null) {
          return;
        }
        if (line.contains("/blobs/")) {
          out.write(("HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
          try {
            for (int i = 0; i < 100_000; i++) {
              out.write(new byte[8192]);
              out.flush();
              Thread.sleep(5);
            }
          } catch (java.io.IOException gone) {
            closed.countDown();
          }
          return;
        }
        answerManifest(out, line, manifest);
      }
    });
  }

  /** A raw upstream that answers manifests properly and cuts every blob short. */
  public static void serveTruncating(ServerSocket server, byte[] manifest) {
    while (!server.isClosed()) {
      try (Socket s = server.accept()) {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        while (true) {
          String line = readHead(in);
          if (line == null) {
            break;
          }
          if (line.contains("/blobs/")) {
            out.write(("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\nContent-Type: application/octet-stream\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[30_000]);
            out.flush();
            break;
          }
          answerManifest(out, line, manifest);
        }
      } catch (Exception e) {
        // connection ended
      }
    }
  }

  /**
   * A raw upstream whose blobs arrive slowly but steadily: {@code chunks} pieces of 8 KiB, one every
   * {@code every} ms, on any number of keep-alive connections at once. It counts the blobs being
   * sent now in {@code sending} (until their last piece goes), and the most at any moment in
   * {@code peak}.
   */
  public static void serveSlowBlobs(ServerSocket server, byte[] manifest, int chunks, long every,
      java.util.concurrent.atomic.AtomicInteger sending, java.util.concurrent.atomic.AtomicInteger peak) {
    serveManifestAndBlobs(server, manifest, (in, out) -> {
      peak.accumulateAndGet(sending.incrementAndGet(), Math::max);
      boolean counted = true;
      try {
        out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: "
            + chunks * 8192 + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < chunks; i++) {
          Thread.sleep(every);
          if (i == chunks - 1) {
            // Uncounted before the last piece goes: nothing can reuse the connection sooner.
            sending.decrementAndGet();
            counted = false;
          }
          out.write(new byte[8192]);
          out.flush();
        }
      } finally {
        if (counted) {
          sending.decrementAndGet();
        }
      }
    });
  }

  /**
   * A raw upstream with one blob, {@code blob}, which it sends in two halves: the first at once, the
   * second only once {@code release} has been counted down (for at most a minute). Every blob GET
   * is counted in {@code gets}.
   */
  public static void serveGatedBlob(ServerSocket server, byte[] manifest, byte[] blob,
      java.util.concurrent.CountDownLatch release, java.util.concurrent.atomic.AtomicInteger gets) {
    serveManifestAndBlobs(server, manifest, (in, out) -> {
      gets.incrementAndGet();
      out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " + blob.length
          + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(blob, 0, blob.length / 2);
      out.flush();
      if (!release.await(1, java.util.concurrent.TimeUnit.MINUTES)) {
        throw new java.io.IOException("never released");
      }
      out.write(blob, blob.length / 2, blob.length - blob.length / 2);
      out.flush();
    });
  }

  /**
   * Serves each connection's requests in turn, on a thread per connection: manifests with {@code
   * manifest}, blobs by {@code blob}; a blob answer that throws ends its connection.
   */
  private static void serveManifestAndBlobs(ServerSocket server, byte[] manifest, Connection blob) {
    acceptOnThreads(server, (in, out) -> {
      while (true) {
        String line = readHead(in);
        if (line == null) {
          return;
        }
        if (line.contains("/blobs/")) {
          blob.serve(in, out);
        } else {
          answerManifest(out, line, manifest);
        }
      }
    });
  }

  /** What a raw upstream does with one connection. */
  private interface Connection {
    void serve(InputStream in, OutputStream out) throws Exception;
  }

  /** Serves each connection {@code server} accepts on a thread of its own, until it closes. */
  private static void acceptOnThreads(ServerSocket server, Connection connection) {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        Thread t = new Thread(() -> {
          try (s) {
            connection.serve(s.getInputStream(), s.getOutputStream());
          } catch (Exception e) {
            // connection ended
          }
        });
        t.setDaemon(true);
        t.start();
      } catch (Exception e) {
        return;
      }
    }
  }

  /** Reads one request head; null at the end of the stream. */
  private static String readHead(InputStream in) throws java.io.IOException {
    StringBuilder head = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0) {
      head.append((char) c);
      if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
        return head.substring(0, head.indexOf("\r\n"));
      }
    }
    return null;
  }

  /** Answers a manifest request (GET or HEAD) with {@code manifest}. */
  private static void answerManifest(OutputStream out, String requestLine, byte[] manifest) throws java.io.IOException {
    out.write(("HTTP/1.1 200 OK\r\nContent-Type: " + FakeRegistry.OCI_MANIFEST + "\r\nDocker-Content-Digest: "
        + FakeRegistry.sha256(manifest) + "\r\nContent-Length: " + manifest.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    if (!requestLine.startsWith("HEAD")) {
      out.write(manifest);
    }
    out.flush();
  }
}
