package io.turnstile.proxy.server;

import static io.turnstile.store.testing.Eventually.until;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.turnstile.proxy.testing.FakeRegistry;
import io.turnstile.proxy.testing.TestTurnstile;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM during a pull, on the built jar as a process: the listener stops accepting and
 * readiness says so at once, the 256 MiB blob under way still arrives whole, and the process exits
 * 0 once it has. It logs JSON lines, as {@code logging.format: json} asks.
 */
class GracefulStopIT {
  private static final int BLOCK = 1 << 20;
  private static final int BLOCKS = 256;

  @TempDir Path dir;
  private ServerSocket upstreamSocket;
  private Process process;
  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();
  private int port;
  private int adminPort;

  @BeforeEach
  void startUpstream() throws IOException {
    upstreamSocket = new ServerSocket(0);
  }

  @AfterEach
  void stop() throws Exception {
    if (process != null && process.isAlive()) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    upstreamSocket.close();
  }

  /** Block {@code i} of the blob: one random mebibyte, stamped with its index so blocks differ. */
  private static byte[] block(byte[] random, int i) {
    byte[] b = random.clone();
    for (int k = 0; k < 4; k++) {
      b[k] = (byte) (i >>> (8 * k));
    }
    return b;
  }

  @Test
  void sigtermDuringA256MiBPull_refusesNewConnections_finishesThePull_andExitsZero() throws Exception {
    byte[] random = new byte[BLOCK];
    new Random(7).nextBytes(random);
    MessageDigest expected = MessageDigest.getInstance("SHA-256");
    for (int i = 0; i < BLOCKS; i++) {
      expected.update(block(random, i));
    }
    String blobDigest = "sha256:" + HexFormat.of().formatHex(expected.digest());
    byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + FakeRegistry.OCI_MANIFEST + "\",\"config\":{"
        + "\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:" + "0".repeat(64)
        + "\",\"size\":2},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\""
        + blobDigest + "\",\"size\":" + (long) BLOCK * BLOCKS + "}]}").getBytes(StandardCharsets.UTF_8);
    Thread upstream = new Thread(() -> serve(manifest, random), "raw-upstream");
    upstream.setDaemon(true);
    upstream.start();

    startTurnstile();
    TestTurnstile.Login login = license();

    HttpResponse<InputStream> pull = http.send(HttpRequest.newBuilder(URI.create(registry() + "/v2/vendor/big/blobs/"
        + blobDigest)).header("Authorization", login.basic()).build(), HttpResponse.BodyHandlers.ofInputStream());
    assertThat(pull.statusCode()).isEqualTo(200);
    MessageDigest received = MessageDigest.getInstance("SHA-256");
    long total = 0;
    byte[] buf = new byte[64 * 1024];
    try (InputStream body = pull.body()) {
      // A slow client: about 32 MiB/s, so the pull takes some 8 s and SIGTERM lands early in it.
      long started = System.nanoTime();
      boolean signalled = false;
      int n;
      while ((n = body.read(buf)) > 0) {
        received.update(buf, 0, n);
        total += n;
        if (!signalled && total >= 16L * BLOCK) {
          signalled = true;
          process.destroy(); // SIGTERM
          assertStopsAccepting();
          assertThat(process.isAlive()).as("still finishing the pull").isTrue();
        }
        long due = started + total * 1_000_000_000L / (32L * BLOCK);
        long ahead = due - System.nanoTime();
        if (ahead > 0) {
          TimeUnit.NANOSECONDS.sleep(ahead);
        }
      }
      assertThat(signalled).isTrue();
    }
    assertThat(total).isEqualTo((long) BLOCK * BLOCKS);
    assertThat("sha256:" + HexFormat.of().formatHex(received.digest())).isEqualTo(blobDigest);
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("exits once the pull is done").isTrue();
    assertThat(process.exitValue()).as(log()).isZero();
    assertThat(log()).contains("SIGTERM: stopping", "stopped");
    for (String line : log().split("\n")) {
      // logging.format: json, from the first line to the last, access log included.
      assertThat(json.readTree(line).has("time")).as(line).isTrue();
    }
    assertThat(log()).contains("\"logger\":\"turnstile.access\"", "\"route\":\"blob\"");
  }

  /** The registry port refuses connections and readiness says why, while the pull goes on. */
  private void assertStopsAccepting() throws Exception {
    long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      try (Socket s = new Socket("127.0.0.1", port)) {
        if (System.nanoTime() > end) {
          throw new AssertionError("the registry port still accepts connections 10 s after SIGTERM");
        }
        Thread.sleep(50);
      } catch (ConnectException refused) {
        break;
      }
    }
    assertThatThrownBy(() -> http.send(HttpRequest.newBuilder(URI.create(registry() + "/v2/")).build(),
        HttpResponse.BodyHandlers.discarding())).isInstanceOf(ConnectException.class);
    HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create(admin() + "/readyz")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(ready.statusCode()).isEqualTo(503);
    JsonNode r = json.readTree(ready.body());
    assertThat(r.at("/checks/stopping/ok").asBoolean()).isFalse();
    assertThat(r.at("/checks/snapshot/ok").asBoolean()).isTrue();
  }

  private String registry() {
    return "http://127.0.0.1:" + port;
  }

  private String admin() {
    return "http://127.0.0.1:" + adminPort;
  }

  private String log() throws IOException {
    return Files.readString(dir.resolve("turnstile.log"));
  }

  /**
   * Starts the jar on ports of its own choosing (port 0) and learns them from its log: ports picked
   * here and bound there later could be taken by another program in between.
   */
  private void startTurnstile() throws Exception {
    Path config = dir.resolve("turnstile.yaml");
    Files.writeString(config, """
        server:
          listen: 127.0.0.1:0
          shutdownGrace: 60s
        admin:
          listen: 127.0.0.1:0
          token: ${ADMIN_TOKEN}
        token:
          signingKey: %s/signing-key.pem
        store:
          url: jdbc:sqlite:%s/turnstile.db
          encryptionKeyFile: %s/store.key
        upstreams:
          - name: vendor
            url: http://127.0.0.1:%d
        applications:
          - name: app
            repositories:
              - name: vendor/big
                upstream: vendor
                repository: org/big
        logging:
          format: json
        """.formatted(dir, dir, dir, upstreamSocket.getLocalPort()));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(List.of(java, "-Xmx256m", "-jar", Path.of("target/turnstile.jar")
        .toAbsolutePath().toString(), "serve", "--config", config.toString()))
        .redirectErrorStream(true).redirectOutput(dir.resolve("turnstile.log").toFile());
    pb.environment().put("ADMIN_TOKEN", TestTurnstile.ADMIN_TOKEN);
    process = pb.start();
    until("turnstile to log its ports", () -> {
      if (!process.isAlive()) {
        throw new AssertionError("turnstile exited:\n" + log());
      }
      Matcher registry = Pattern.compile("registry listening on /?127\\.0\\.0\\.1:(\\d+)").matcher(log());
      Matcher admin = Pattern.compile("admin API listening on /?127\\.0\\.0\\.1:(\\d+)").matcher(log());
      if (!registry.find() || !admin.find()) {
        return false;
      }
      port = Integer.parseInt(registry.group(1));
      adminPort = Integer.parseInt(admin.group(1));
      return true;
    });
    until("turnstile to be ready", () -> status(admin() + "/readyz") == 200);
  }

  private TestTurnstile.Login license() throws Exception {
    String customer = adminPost("/admin/v1/customers", "{\"name\":\"Acme\"}").get("id").asText();
    JsonNode l = adminPost("/admin/v1/licenses",
        "{\"customerId\":\"" + customer + "\",\"application\":\"app\",\"versions\":[\"1.0.0\"]}");
    return new TestTurnstile.Login(customer, l.get("id").asText(), l.get("key").asText());
  }

  private JsonNode adminPost(String path, String body) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(admin() + path))
        .header("Authorization", "Bearer " + TestTurnstile.ADMIN_TOKEN).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return json.readTree(r.body());
  }

  private int status(String url) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** An anonymous upstream on raw sockets: the manifest for any manifest path, the big blob for any blob. */
  private void serve(byte[] manifest, byte[] random) {
    while (!upstreamSocket.isClosed()) {
      Socket s;
      try {
        s = upstreamSocket.accept();
      } catch (IOException e) {
        return;
      }
      Thread t = new Thread(() -> answer(s, manifest, random), "raw-upstream-connection");
      t.setDaemon(true);
      t.start();
    }
  }

  private static void answer(Socket s, byte[] manifest, byte[] random) {
    try (s) {
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      String line;
      while ((line = requestLine(in)) != null) {
        boolean head = line.startsWith("HEAD ");
        if (line.contains("/blobs/")) {
          out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: "
              + (long) BLOCK * BLOCKS + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
          for (int i = 0; i < BLOCKS && !head; i++) {
            out.write(block(random, i));
          }
        } else if (line.contains("/manifests/")) {
          out.write(("HTTP/1.1 200 OK\r\nContent-Type: " + FakeRegistry.OCI_MANIFEST + "\r\nDocker-Content-Digest: "
              + FakeRegistry.sha256(manifest) + "\r\nContent-Length: " + manifest.length + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
          if (!head) {
            out.write(manifest);
          }
        } else {
          out.write("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.flush();
      }
    } catch (IOException e) {
      // the connection ended
    }
  }

  /** Reads one request head and returns its first line; null at the end of the stream. */
  private static String requestLine(InputStream in) throws IOException {
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
}
