package io.turnstile.proxy.access;

import static io.turnstile.store.testing.Eventually.until;
import static org.assertj.core.api.Assertions.assertThat;

import io.turnstile.proxy.testing.FakeRegistry;
import io.turnstile.proxy.testing.RawUpstream;
import io.turnstile.proxy.testing.TestTurnstile;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code upstreams[].maxConnections} bounds the upstream connections in use at once over every
 * event loop, and calls beyond it wait for one rather than fail, for up to {@code connectionWait}.
 * Blob downloads hold their connection for their whole length, so this is what many clients
 * pulling large layers at once meet.
 */
class UpstreamConnectionBoundIT {
  private static final byte[] MANIFEST = ("{\"schemaVersion\":2,\"mediaType\":\"" + FakeRegistry.OCI_MANIFEST
      + "\",\"config\":{\"digest\":\"sha256:" + "c".repeat(64) + "\"},\"layers\":[{\"digest\":\"sha256:"
      + "1".repeat(64) + "\"}]}").getBytes(StandardCharsets.UTF_8);
  private static final String LAYER = "sha256:" + "1".repeat(64);

  @TempDir Path dir;
  private TestTurnstile ts;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @AfterEach
  void stop() {
    if (ts != null) {
      ts.close();
    }
  }

  private String metrics() throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(ts.adminUrl() + "/metrics")).GET().build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  private HttpRequest blob(TestTurnstile.Login login) {
    return HttpRequest.newBuilder(URI.create(ts.registryUrl() + "/v2/vendor/app/blobs/" + LAYER))
        .timeout(Duration.ofSeconds(60)).header("Authorization", TestTurnstile.basic(login.username(), login.key()))
        .GET().build();
  }

  @Test
  void downloadsBeyondTheBound_waitForAConnection_andTheBoundHoldsOverEveryLoop() throws Exception {
    AtomicInteger sending = new AtomicInteger();
    AtomicInteger peak = new AtomicInteger();
    int chunks = 16;
    try (ServerSocket fake = new ServerSocket(0)) {
      // Each blob takes about 1.6 s, longer than the read timeout, though no gap between bytes is.
      Thread server = new Thread(() -> RawUpstream.serveSlowBlobs(fake, MANIFEST, chunks, 100, sending, peak));
      server.setDaemon(true);
      server.start();
      ts = new TestTurnstile(dir, "http://127.0.0.1:" + fake.getLocalPort(),
          "    readTimeout: 1s\n    maxConnections: 2", false);
      TestTurnstile.Login login = ts.license("app", "1.0.0");
      List<CompletableFuture<HttpResponse<byte[]>>> pulls = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        pulls.add(http.sendAsync(blob(login), HttpResponse.BodyHandlers.ofByteArray()));
      }
      for (CompletableFuture<HttpResponse<byte[]>> pull : pulls) {
        HttpResponse<byte[]> r = pull.get();
        assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        assertThat(r.body()).hasSize(chunks * 8192);
      }
      assertThat(peak.get()).as("blobs sent by the upstream at once").isEqualTo(2);
    }
  }

  @Test
  void noConnectionFreeWithinTheWait_is503_sayingSo_andCounted() throws Exception {
    CountDownLatch upstreamClosed = new CountDownLatch(1);
    try (ServerSocket fake = new ServerSocket(0)) {
      Thread server = new Thread(() -> RawUpstream.serveEndless(fake, MANIFEST, upstreamClosed));
      server.setDaemon(true);
      server.start();
      ts = new TestTurnstile(dir, "http://127.0.0.1:" + fake.getLocalPort(),
          "    maxConnections: 1\n    connectionWait: 500ms", false);
      TestTurnstile.Login login = ts.license("app", "1.0.0");
      try (Socket holder = new Socket("127.0.0.1", ts.server.registryAddress().getPort())) {
        String auth = Base64.getEncoder().encodeToString(
            (login.username() + ":" + login.key()).getBytes(StandardCharsets.UTF_8));
        holder.getOutputStream().write(("GET /v2/vendor/app/blobs/" + LAYER + " HTTP/1.1\r\nHost: x\r\n"
            + "Authorization: Basic " + auth + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        assertThat(new String(holder.getInputStream().readNBytes(1000), StandardCharsets.ISO_8859_1))
            .startsWith("HTTP/1.1 200");
        String metrics = metrics();
        assertThat(metrics).contains("turnstile_upstream_connections_in_use{upstream=\"vendor\"} 1.0")
            .contains("turnstile_upstream_connections_max{upstream=\"vendor\"} 1.0");

        long t0 = System.nanoTime();
        HttpResponse<byte[]> r = http.send(blob(login), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(new String(r.body(), StandardCharsets.UTF_8))
            .contains("UNAVAILABLE").contains("no connection to the upstream registry came free within 500ms");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(450));
      }
      // The holder has gone: its lease comes back and the next call gets a connection.
      assertThat(upstreamClosed.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      HttpResponse<byte[]> manifest = http.send(HttpRequest.newBuilder(
              URI.create(ts.registryUrl() + "/v2/vendor/app/manifests/1.0.0"))
          .header("Authorization", TestTurnstile.basic(login.username(), login.key())).GET().build(),
          HttpResponse.BodyHandlers.ofByteArray());
      assertThat(manifest.statusCode()).isEqualTo(200);
      // The lease goes back as the upstream's answer ends, which the client can see a moment before.
      until("the upstream connection's lease back",
          () -> metrics().contains("turnstile_upstream_connections_in_use{upstream=\"vendor\"} 0.0"));
    }
  }
}
