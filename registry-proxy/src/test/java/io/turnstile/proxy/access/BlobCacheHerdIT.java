package io.turnstile.proxy.access;

import static io.turnstile.store.testing.Eventually.until;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.turnstile.proxy.testing.FakeRegistry;
import io.turnstile.proxy.testing.RawUpstream;
import io.turnstile.proxy.testing.TestCa;
import io.turnstile.proxy.testing.TestTurnstile;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many clients asking for one cold blob while it downloads into the cache: against an upstream that
 * sends the first half of the blob and then holds the rest back until the test lets it go, so
 * whatever reaches a waiting client before then can only have come from the growing file.
 */
class BlobCacheHerdIT {
  private static final int SIZE = 4 << 20;
  private static final int FOLLOWERS = 8;
  private static final int GLIMPSE = 1 << 20;

  @TempDir Path dir;
  private TestTurnstile ts;
  private HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private String base;
  private final CountDownLatch release = new CountDownLatch(1);
  private final AtomicInteger gets = new AtomicInteger();

  @AfterEach
  void stop() {
    release.countDown();
    if (ts != null) {
      ts.close();
    }
  }

  private static byte[] manifest(String layer) {
    return ("{\"schemaVersion\":2,\"mediaType\":\"" + FakeRegistry.OCI_MANIFEST + "\",\"config\":{\"digest\":\"sha256:"
        + "c".repeat(64) + "\"},\"layers\":[{\"digest\":\"" + layer + "\"}]}").getBytes(StandardCharsets.UTF_8);
  }

  /** Starts Turnstile with a blob cache in front of a gated upstream serving {@code blob} under {@code layer}. */
  private TestTurnstile.Login start(ServerSocket fake, byte[] blob, String layer, String serverYaml) throws Exception {
    Thread server = new Thread(() -> RawUpstream.serveGatedBlob(fake, manifest(layer), blob, release, gets));
    server.setDaemon(true);
    server.start();
    ts = new TestTurnstile(dir, "http://127.0.0.1:" + fake.getLocalPort(),
        "    cache:\n      blobs: {directory: " + dir.resolve("blobs") + ", maxSize: 1GiB}", false, serverYaml);
    base = (serverYaml.isEmpty() ? "http" : "https") + "://127.0.0.1:" + ts.server.registryAddress().getPort();
    return ts.license("app", "1.0.0");
  }

  private CompletableFuture<HttpResponse<InputStream>> pull(TestTurnstile.Login login, String layer) {
    return http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/v2/vendor/app/blobs/" + layer))
        .header("Authorization", TestTurnstile.basic(login.username(), login.key())).build(),
        HttpResponse.BodyHandlers.ofInputStream());
  }

  /** The next {@code n} bytes of {@code in}; fails rather than wait for ever when they do not come. */
  private static byte[] read(InputStream in, int n) throws Exception {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return in.readNBytes(n);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }).get(30, TimeUnit.SECONDS);
  }

  private Path file(String layer) {
    String hex = layer.substring("sha256:".length());
    return dir.resolve("blobs").resolve("sha256").resolve(hex.substring(0, 2)).resolve(hex);
  }

  /**
   * The first client's pull, once it has read its first MiB (the download is under way), then
   * {@link #FOLLOWERS} more, each once it answered 200 and its first MiB came; {@code check} is
   * given each of those and its first MiB.
   */
  private List<HttpResponse<InputStream>> underWay(TestTurnstile.Login login, String layer,
      BiConsumer<HttpResponse<InputStream>, byte[]> check) throws Exception {
    List<HttpResponse<InputStream>> pulls = new ArrayList<>();
    List<CompletableFuture<HttpResponse<InputStream>>> asked = new ArrayList<>();
    asked.add(pull(login, layer));
    for (int i = 0; i <= FOLLOWERS; i++) {
      HttpResponse<InputStream> r = asked.get(i).get(30, TimeUnit.SECONDS);
      assertThat(r.statusCode()).isEqualTo(200);
      byte[] start = read(r.body(), GLIMPSE);
      if (i > 0) {
        check.accept(r, start);
      }
      pulls.add(r);
      if (i == 0) {
        for (int j = 0; j < FOLLOWERS; j++) {
          asked.add(pull(login, layer));
        }
      }
    }
    return pulls;
  }

  /**
   * The first client starts the download; the others ask while only half the blob has arrived and
   * get their first MiB then, before the upstream has sent the rest; all end with the whole blob.
   */
  private void herd(String serverYaml) throws Exception {
    byte[] blob = new byte[SIZE];
    new Random(1).nextBytes(blob);
    String layer = FakeRegistry.sha256(blob);
    try (ServerSocket fake = new ServerSocket(0)) {
      TestTurnstile.Login login = start(fake, blob, layer, serverYaml);
      List<HttpResponse<InputStream>> pulls = underWay(login, layer, (r, start) -> {
        assertThat(r.headers().firstValue("Content-Length")).contains(Integer.toString(SIZE));
        assertThat(r.headers().firstValue("Docker-Content-Digest")).contains(layer);
        assertThat(start).as("a client's first MiB, the rest held upstream").isEqualTo(Arrays.copyOf(blob, GLIMPSE));
      });
      assertThat(file(layer)).as("not in place while the upstream holds the rest").doesNotExist();

      release.countDown();
      for (HttpResponse<InputStream> r : pulls) {
        try (InputStream in = r.body()) {
          assertThat(read(in, SIZE)).isEqualTo(Arrays.copyOfRange(blob, GLIMPSE, SIZE));
          assertThat(in.read()).as("nothing after the blob").isEqualTo(-1);
        }
      }
      assertThat(gets.get()).as("upstream GETs of the blob").isEqualTo(1);
    }
  }

  @Test
  void clientsArrivingDuringADownload_getItsBytesAsTheyArrive_andAllEndWhole() throws Exception {
    herd("");
  }

  @Test
  void overTls_clientsArrivingDuringADownload_getItsBytesAsTheyArrive_andAllEndWhole() throws Exception {
    TestCa ca = TestCa.create("Turnstile test CA");
    Path tls = dir.resolve("tls");
    ca.issue("registry").writeTo(tls);
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(ca.clientContext()).build();
    herd("""
          tls:
            certificate: %1$s/tls.crt
            privateKey: %1$s/tls.key
        """.formatted(tls));
  }

  @Test
  void theFirstClientLeavingMidDownload_leavesTheOthersToGetTheWholeBlob_fromOneUpstreamGet() throws Exception {
    byte[] blob = new byte[SIZE];
    new Random(3).nextBytes(blob);
    String layer = FakeRegistry.sha256(blob);
    try (ServerSocket fake = new ServerSocket(0)) {
      TestTurnstile.Login login = start(fake, blob, layer, "");
      List<HttpResponse<InputStream>> pulls = underWay(login, layer, (r, start) -> { });
      // The client whose GET started the download goes away with most of the blob still to come.
      pulls.get(0).body().close();
      release.countDown();
      for (HttpResponse<InputStream> r : pulls.subList(1, pulls.size())) {
        try (InputStream in = r.body()) {
          assertThat(read(in, SIZE)).isEqualTo(Arrays.copyOfRange(blob, GLIMPSE, SIZE));
          assertThat(in.read()).as("nothing after the blob").isEqualTo(-1);
        }
      }
      until("the blob landed in the cache", () -> Files.exists(file(layer)));
      assertThat(Files.readAllBytes(file(layer))).isEqualTo(blob);
      assertThat(gets.get()).as("upstream GETs of the blob").isEqualTo(1);
    }
  }

  @Test
  void contentNotMatchingItsDigest_reachesNoWaitingClientWhole_andIsNotKept() throws Exception {
    byte[] blob = new byte[SIZE];
    new Random(2).nextBytes(blob);
    String layer = FakeRegistry.sha256(new byte[] {1, 2, 3});
    try (ServerSocket fake = new ServerSocket(0)) {
      TestTurnstile.Login login = start(fake, blob, layer, "");
      List<HttpResponse<InputStream>> pulls = underWay(login, layer, (r, start) -> { });

      release.countDown();
      for (HttpResponse<InputStream> r : pulls) {
        try (InputStream in = r.body()) {
          assertThatThrownBy(() -> read(in, SIZE)).as("the connection closes short of the end")
              .hasRootCauseInstanceOf(IOException.class);
        }
      }
      assertThat(file(layer)).doesNotExist();
      assertThat(gets.get()).isEqualTo(1);
    }
  }
}
