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
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        Thread t = new Thread(() -> {
          try (s) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
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
