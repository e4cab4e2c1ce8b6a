package io.turnstile.proxy.access;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static io.turnstile.store.testing.Eventually.until;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.core.Options;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.turnstile.proxy.testing.FakeRegistry;
import io.turnstile.proxy.testing.FakeRegistry.Image;
import io.turnstile.proxy.testing.TestCa;
import io.turnstile.proxy.testing.TestTurnstile;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The blob cache of an upstream, against a WireMock upstream that counts what it is asked. */
class BlobCacheIT {
  private static final int LAYER = 300_000;

  @RegisterExtension
  static WireMockExtension upstream = WireMockExtension.newInstance()
      .options(wireMockConfig().dynamicPort().useChunkedTransferEncoding(Options.ChunkedEncodingPolicy.ALWAYS))
      .build();

  @TempDir Path dir;
  private Path blobs;
  private TestTurnstile ts;
  private FakeRegistry registry;
  private HttpClient http = HttpClient.newHttpClient();
  private String base;
  /** Downloads landed since the server started; see {@link #awaitFile}. */
  private int landed;
  private Image v100;
  private Image v110;
  private Image v200;
  private TestTurnstile.Login login;

  @BeforeEach
  void start() throws Exception {
    registry = new FakeRegistry(upstream);
    v100 = registry.image("org/app", "1.0.0", 2, LAYER);
    v110 = registry.image("org/app", "1.1.0", 2, LAYER);
    v200 = registry.image("org/app", "2.0.0", 1, LAYER);
    registry.tags("org/app", "2.0.0", "1.1.0", "1.0.0");
    blobs = dir.resolve("blobs");
    startTurnstile("");
    login = ts.license("app", "1.0.0", "1.1.0");
  }

  private void startTurnstile(String serverYaml) throws Exception {
    landed = 0;
    ts = new TestTurnstile(dir, upstream.baseUrl(), "    cache:\n      blobs: {directory: " + blobs + ", maxSize: 1MiB}",
        true, serverYaml);
    base = ts.registryUrl();
  }

  private void restart() throws Exception {
    ts.close();
    startTurnstile("");
  }

  @AfterEach
  void stop() {
    ts.close();
  }

  private HttpResponse<byte[]> send(String method, String path, String authorization, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).method(method, HttpRequest.BodyPublishers.noBody())
        .header("Authorization", authorization);
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private HttpResponse<byte[]> blob(String digest, String... headers) throws Exception {
    return send("GET", "/v2/vendor/app/blobs/" + digest, login.basic(), headers);
  }

  /** Times the upstream was asked for the blob's bytes. */
  private static int upstreamGets(String digest) {
    return upstream.findAll(getRequestedFor(urlPathEqualTo("/v2/org/app/blobs/" + digest))).size();
  }

  private Path file(String digest) {
    String hex = digest.substring("sha256:".length());
    return blobs.resolve("sha256").resolve(hex.substring(0, 2)).resolve(hex);
  }

  private List<Path> unfinished() throws IOException {
    try (Stream<Path> s = Files.list(blobs.resolve("tmp"))) {
      return s.toList();
    }
  }

  /**
   * What the upstream serves for {@code digest}; the upstream's request log starts afresh. Asked over
   * HTTP/1.1: the JDK client otherwise offers WireMock an h2c upgrade, which now and then breaks on a
   * large answer ("Frame type … exceeds MAX_FRAME_SIZE").
   */
  private byte[] upstreamBytes(String digest) throws Exception {
    HttpResponse<byte[]> r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(HttpRequest.newBuilder(URI.create(upstream.baseUrl()
        + "/v2/org/app/blobs/" + digest)).header("Authorization", TestTurnstile.basic(FakeRegistry.USER, FakeRegistry.PASSWORD))
        .build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(r.statusCode()).isEqualTo(200);
    upstream.resetRequests();
    return r.body();
  }

  private String metrics() throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(ts.adminUrl() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  private static double value(String scrape, String series) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(scrape);
    assertThat(m.find()).as(series + " in\n" + scrape).isTrue();
    return Double.parseDouble(m.group(1));
  }

  // ---- bundles ----

  @Test
  void bundle_readsTheBlobsTheCacheHolds_evenWhileTheUpstreamsBlobEndpointFails() throws Exception {
    registry.unknownIsNotFound();
    List<String> digests = new ArrayList<>(v100.layers());
    digests.add(v100.config());
    List<byte[]> expected = new ArrayList<>();
    for (String d : digests) {
      HttpResponse<byte[]> pulled = blob(d);
      assertThat(pulled.statusCode()).isEqualTo(200);
      expected.add(pulled.body());
      awaitFile(d);
    }
    upstream.stubFor(get(urlPathMatching("/v2/org/app/blobs/.*")).atPriority(1)
        .willReturn(aResponse().withStatus(500).withBody("{\"errors\":[{\"code\":\"UNKNOWN\"}]}")));
    upstream.resetRequests();

    HttpResponse<byte[]> whole = send("GET", "/bundles/" + login.username() + "?version=1.0.0", login.basic());
    assertThat(whole.statusCode()).isEqualTo(200);
    assertThat(whole.headers().firstValueAsLong("Content-Length").orElseThrow()).isEqualTo(whole.body().length);
    byte[] tar = whole.body();
    for (int i = 0; i < digests.size(); i++) {
      int at = indexOf(tar, expected.get(i));
      assertThat(at).as(digests.get(i) + " in the bundle").isPositive();
      assertThat(upstreamGets(digests.get(i))).as("asked the upstream for " + digests.get(i)).isZero();
    }
    // A resume starting inside a cached layer reads the rest of it from its file.
    int inside = indexOf(tar, expected.get(0)) + 1000;
    HttpResponse<byte[]> rest = send("GET", "/bundles/" + login.username() + "?version=1.0.0", login.basic(),
        "Range", "bytes=" + inside + "-");
    assertThat(rest.statusCode()).isEqualTo(206);
    assertThat(rest.body()).isEqualTo(Arrays.copyOfRange(tar, inside, tar.length));
    assertThat(upstreamGets(digests.get(0))).isZero();
  }

  /** Where {@code part} starts in {@code whole}; -1 when it does not. */
  private static int indexOf(byte[] whole, byte[] part) {
    outer:
    for (int i = 0; i + part.length <= whole.length; i++) {
      for (int j = 0; j < part.length; j++) {
        if (whole[i + j] != part[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  // ---- cold, then warm ----

  @Test
  void coldBlob_isStreamedAndKept_thenServedFromItsFile_withoutAskingTheUpstream() throws Exception {
    String layer = v100.layers().get(0);
    byte[] expected = upstreamBytes(layer);

    HttpResponse<byte[]> cold = blob(layer);
    assertThat(cold.statusCode()).isEqualTo(200);
    assertThat(cold.body()).isEqualTo(expected);
    assertThat(upstreamGets(layer)).isEqualTo(1);
    awaitFile(layer);
    assertThat(Files.readAllBytes(file(layer))).isEqualTo(expected);
    assertThat(unfinished()).isEmpty();

    for (int i = 0; i < 3; i++) {
      HttpResponse<byte[]> warm = blob(layer);
      assertThat(warm.statusCode()).isEqualTo(200);
      assertThat(warm.body()).isEqualTo(expected);
      assertThat(warm.headers().firstValue("Docker-Content-Digest")).contains(layer);
      assertThat(warm.headers().firstValue("Content-Length")).contains(String.valueOf(LAYER));
      assertThat(warm.headers().firstValue("Content-Type")).contains("application/octet-stream");
    }
    assertThat(upstreamGets(layer)).as("served from the file").isEqualTo(1);

    HttpResponse<byte[]> head = send("HEAD", "/v2/vendor/app/blobs/" + layer, login.basic());
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.headers().firstValue("Content-Length")).contains(String.valueOf(LAYER));
    assertThat(head.headers().firstValue("Docker-Content-Digest")).contains(layer);
    assertThat(head.body()).isEmpty();

    // A hit is counted once its answer is written, which may be just after the client has it.
    until("four hits counted", () -> value(metrics(),
        "turnstile_blobcache_requests_total{result=\"hit\",upstream=\"vendor\"}") == 4);
    String m = metrics();
    assertThat(value(m, "turnstile_blobcache_requests_total{result=\"miss\",upstream=\"vendor\"}")).isEqualTo(1);
    assertThat(value(m, "turnstile_blobcache_requests_total{result=\"hit\",upstream=\"vendor\"}")).isEqualTo(4);
    assertThat(value(m, "turnstile_blobcache_sent_bytes_total{source=\"cache\",upstream=\"vendor\"}")).isEqualTo(3 * LAYER);
    assertThat(value(m, "turnstile_blobcache_sent_bytes_total{source=\"upstream\",upstream=\"vendor\"}")).isEqualTo(LAYER);
    assertThat(value(m, "turnstile_blobcache_size_bytes{upstream=\"vendor\"}")).isEqualTo(LAYER);
    assertThat(value(m, "turnstile_blobcache_blobs{upstream=\"vendor\"}")).isEqualTo(1);
    assertThat(value(m, "turnstile_blobcache_downloads_total{result=\"stored\",upstream=\"vendor\"}")).isEqualTo(1);
  }

  /**
   * Waits for the next download to land with {@code digest}'s file: on the io thread, just after the
   * client has its last byte, the file is moved into place, then indexed and counted, then what no
   * longer fits is evicted. Waiting for the count, not only the file, leaves no part of the landing
   * to race what the test does next (evictions aside: the test waits for those itself).
   */
  private void awaitFile(String digest) throws Exception {
    int expected = ++landed;
    until("the download of " + digest + " to land", () -> Files.exists(file(digest))
        && value(metrics(), "turnstile_blobcache_downloads_total{result=\"stored\",upstream=\"vendor\"}") >= expected);
  }

  @Test
  void aCachedBlobOfAnUngrantedVersion_isStillDenied() throws Exception {
    String layer = v200.layers().get(0);
    TestTurnstile.Login v2 = ts.license("app", "2.0.0");
    HttpResponse<byte[]> granted = send("GET", "/v2/vendor/app/blobs/" + layer, v2.basic());
    assertThat(granted.statusCode()).isEqualTo(200);
    awaitFile(layer);

    TestTurnstile.Login v1 = ts.license("app", "1.0.0");
    for (String method : List.of("GET", "HEAD")) {
      HttpResponse<byte[]> denied = send(method, "/v2/vendor/app/blobs/" + layer, v1.basic());
      assertThat(denied.statusCode()).as(method).isEqualTo(403);
      if (method.equals("GET")) {
        assertThat(ts.json.readTree(denied.body()).get("errors").get(0).get("code").asText()).isEqualTo("DENIED");
      }
    }
    assertThat(upstreamGets(layer)).isEqualTo(1);
  }

  @Test
  void rangeOfACachedBlob_isAnsweredFromTheFile() throws Exception {
    String layer = v100.layers().get(1);
    byte[] expected = upstreamBytes(layer);
    assertThat(blob(layer).statusCode()).isEqualTo(200);
    awaitFile(layer);

    HttpResponse<byte[]> middle = blob(layer, "Range", "bytes=1000-1999");
    assertThat(middle.statusCode()).isEqualTo(206);
    assertThat(middle.body()).isEqualTo(Arrays.copyOfRange(expected, 1000, 2000));
    assertThat(middle.headers().firstValue("Content-Range")).contains("bytes 1000-1999/" + LAYER);
    assertThat(middle.headers().firstValue("Content-Length")).contains("1000");
    assertThat(middle.headers().firstValue("Docker-Content-Digest")).contains(layer);

    HttpResponse<byte[]> tail = blob(layer, "Range", "bytes=-10");
    assertThat(tail.statusCode()).isEqualTo(206);
    assertThat(tail.body()).isEqualTo(Arrays.copyOfRange(expected, LAYER - 10, LAYER));

    HttpResponse<byte[]> open = blob(layer, "Range", "bytes=299990-");
    assertThat(open.body()).isEqualTo(Arrays.copyOfRange(expected, LAYER - 10, LAYER));

    HttpResponse<byte[]> beyond = blob(layer, "Range", "bytes=" + LAYER + "-");
    assertThat(beyond.statusCode()).isEqualTo(416);
    assertThat(beyond.headers().firstValue("Content-Range")).contains("bytes */" + LAYER);

    HttpResponse<byte[]> otherValidator = blob(layer, "Range", "bytes=0-9", "If-Range", "\"sha256:other\"");
    assertThat(otherValidator.statusCode()).as("If-Range names another version: the whole blob").isEqualTo(200);
    assertThat(otherValidator.body()).isEqualTo(expected);
    assertThat(upstreamGets(layer)).isEqualTo(1);
  }

  @Test
  void headAndRangeRequestsForAColdBlob_areRelayed_andStartNoDownload() throws Exception {
    String layer = v100.layers().get(0);
    HttpResponse<byte[]> head = send("HEAD", "/v2/vendor/app/blobs/" + layer, login.basic());
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.headers().firstValue("Docker-Content-Digest")).contains(layer);
    HttpResponse<byte[]> range = blob(layer, "Range", "bytes=0-9");
    assertThat(range.statusCode()).as("whatever the upstream answers: this one ignores Range").isEqualTo(200);
    Thread.sleep(200);
    assertThat(file(layer)).doesNotExist();
    assertThat(unfinished()).isEmpty();
    assertThat(value(metrics(), "turnstile_blobcache_requests_total{result=\"miss\",upstream=\"vendor\"}")).isEqualTo(2);
  }

  // ---- single flight ----

  @Test
  void sixtyFourClientsPullingOneColdBlobAtOnce_causeOneUpstreamFetch() throws Exception {
    String layer = v110.layers().get(0);
    byte[] expected = upstreamBytes(layer);
    // The upstream takes its time, so the others arrive while the first download is under way.
    upstream.stubFor(get(urlPathEqualTo("/v2/org/app/blobs/" + layer)).withBasicAuth(FakeRegistry.USER, FakeRegistry.PASSWORD)
        .willReturn(aResponse().withFixedDelay(1500).withHeader("Content-Type", "application/octet-stream")
            .withHeader("Docker-Content-Digest", layer).withBody(expected)));
    HttpResponse<String> token = http.send(HttpRequest.newBuilder(URI.create(base
        + "/token?service=turnstile&scope=repository:vendor/app:pull")).header("Authorization", login.basic()).build(),
        HttpResponse.BodyHandlers.ofString());
    String bearer = "Bearer " + ts.json.readTree(token.body()).get("token").asText();
    // Authorization walks the granted tags once; the pulls then race for the blob alone.
    assertThat(send("GET", "/v2/vendor/app/blobs/" + v110.config(), bearer).statusCode()).isEqualTo(200);

    List<CompletableFuture<HttpResponse<byte[]>>> pulls = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      pulls.add(http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/v2/vendor/app/blobs/" + layer))
          .header("Authorization", bearer).build(), HttpResponse.BodyHandlers.ofByteArray()));
    }
    for (CompletableFuture<HttpResponse<byte[]>> p : pulls) {
      HttpResponse<byte[]> r = p.get();
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo(expected);
    }
    assertThat(upstreamGets(layer)).isEqualTo(1);
  }

  // ---- what is never kept ----

  @Test
  void contentThatDoesNotMatchItsDigest_isNotKept_andTheClientNeverGetsItWhole() throws Exception {
    String layer = v100.layers().get(0);
    byte[] wrong = registry.bytes(LAYER);
    upstream.stubFor(get(urlPathEqualTo("/v2/org/app/blobs/" + layer)).withBasicAuth(FakeRegistry.USER, FakeRegistry.PASSWORD)
        .willReturn(aResponse().withHeader("Content-Type", "application/octet-stream").withBody(wrong)));

    assertThatThrownBy(() -> blob(layer)).as("the connection closes before the end").isInstanceOf(IOException.class);
    // The partial file is deleted on the io thread, which may be just after the client saw the close.
    until("the partial download deleted", () -> unfinished().isEmpty());
    assertThat(file(layer)).doesNotExist();

    assertThatThrownBy(() -> blob(layer)).isInstanceOf(IOException.class);
    assertThat(upstreamGets(layer)).as("nothing was kept: asked again").isEqualTo(2);
    assertThat(value(metrics(), "turnstile_blobcache_downloads_total{result=\"mismatch\",upstream=\"vendor\"}")).isEqualTo(2);
  }

  @Test
  void anUpstream404_isAnsweredAndNothingIsKept() throws Exception {
    // Reachable from a granted tag, but the upstream lost it.
    Image img = registry.image("org/app", "1.0.1", 1, 100);
    upstream.stubFor(get(urlPathEqualTo("/v2/org/app/blobs/" + img.layers().get(0))).withBasicAuth(FakeRegistry.USER,
        FakeRegistry.PASSWORD).willReturn(aResponse().withStatus(404).withBody("{\"errors\":[{\"code\":\"BLOB_UNKNOWN\"}]}")));
    TestTurnstile.Login l = ts.license("app", "1.0.1");
    HttpResponse<byte[]> r = send("GET", "/v2/vendor/app/blobs/" + img.layers().get(0), l.basic());
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(file(img.layers().get(0))).doesNotExist();
    assertThat(unfinished()).isEmpty();
  }

  // ---- files found on disk ----

  @Test
  void corruptAndTruncatedFilesFoundAfterARestart_areDroppedAndFetchedAgain() throws Exception {
    String corrupt = v100.layers().get(0);
    String truncated = v100.layers().get(1);
    byte[] corruptBytes = upstreamBytes(corrupt);
    byte[] truncatedBytes = upstreamBytes(truncated);
    assertThat(blob(corrupt).statusCode()).isEqualTo(200);
    assertThat(blob(truncated).statusCode()).isEqualTo(200);
    awaitFile(corrupt);
    awaitFile(truncated);
    ts.close();
    try (RandomAccessFile f = new RandomAccessFile(file(corrupt).toFile(), "rw")) {
      f.seek(1234);
      f.write(f.read() ^ 0xff);
    }
    try (RandomAccessFile f = new RandomAccessFile(file(truncated).toFile(), "rw")) {
      f.setLength(LAYER / 2);
    }
    Path leftover = blobs.resolve("tmp").resolve(truncated.substring(7) + ".1234.part");
    Files.write(leftover, new byte[100]);
    upstream.resetRequests();
    startTurnstile("");

    assertThat(leftover).as("an unfinished download is deleted at start").doesNotExist();
    HttpResponse<byte[]> a = blob(corrupt);
    assertThat(a.body()).isEqualTo(corruptBytes);
    HttpResponse<byte[]> b = blob(truncated);
    assertThat(b.body()).isEqualTo(truncatedBytes);
    assertThat(upstreamGets(corrupt)).isEqualTo(1);
    assertThat(upstreamGets(truncated)).isEqualTo(1);
    awaitFile(corrupt);
    awaitFile(truncated);
    assertThat(Files.readAllBytes(file(corrupt))).isEqualTo(corruptBytes);
    assertThat(Files.readAllBytes(file(truncated))).isEqualTo(truncatedBytes);
  }

  @Test
  void goodFilesFoundAfterARestart_areServedWithoutTheUpstream() throws Exception {
    String layer = v100.layers().get(0);
    byte[] expected = upstreamBytes(layer);
    assertThat(blob(layer).statusCode()).isEqualTo(200);
    awaitFile(layer);
    restart();
    upstream.resetRequests();
    assertThat(blob(layer).body()).isEqualTo(expected);
    assertThat(blob(layer).body()).isEqualTo(expected);
    assertThat(upstreamGets(layer)).isZero();
  }

  @Test
  void aFileTruncatedWhileRunning_isDroppedOnRead_andFetchedAgain() throws Exception {
    String layer = v100.layers().get(0);
    byte[] expected = upstreamBytes(layer);
    assertThat(blob(layer).statusCode()).isEqualTo(200);
    awaitFile(layer);
    try (RandomAccessFile f = new RandomAccessFile(file(layer).toFile(), "rw")) {
      f.setLength(10);
    }
    assertThat(blob(layer).body()).isEqualTo(expected);
    assertThat(upstreamGets(layer)).isEqualTo(2);
    awaitFile(layer);
    assertThat(Files.size(file(layer))).isEqualTo(LAYER);
  }

  @Test
  void theCacheDirectoryEmptiedWhileRunning_isFilledAgain_andServedFrom() throws Exception {
    String layer = v100.layers().get(0);
    byte[] expected = upstreamBytes(layer);
    assertThat(blob(layer).statusCode()).isEqualTo(200);
    awaitFile(layer);
    // rm -rf <directory>/*, Turnstile running: tmp/ and sha256/ go too.
    try (Stream<Path> all = Files.walk(blobs)) {
      all.sorted(Comparator.reverseOrder()).filter(p -> !p.equals(blobs)).forEach(p -> p.toFile().delete());
    }
    assertThat(blobs.resolve("tmp")).doesNotExist();
    assertThat(blob(layer).body()).as("fetched again").isEqualTo(expected);
    awaitFile(layer);
    assertThat(Files.readAllBytes(file(layer))).isEqualTo(expected);
    assertThat(blob(layer).body()).isEqualTo(expected);
    assertThat(upstreamGets(layer)).as("kept again: the third pull is served from the file").isEqualTo(2);
    assertThat(unfinished()).isEmpty();
  }

  // ---- size ----

  @Test
  void beyondMaxSize_theLeastRecentlyUsedBlobGoes() throws Exception {
    String a = v100.layers().get(0);
    String b = v100.layers().get(1);
    String c = v110.layers().get(0);
    String d = v110.layers().get(1);
    for (String x : List.of(a, b, c)) {
      assertThat(blob(x).statusCode()).isEqualTo(200);
      awaitFile(x);
    }
    assertThat(blob(a).statusCode()).as("a is now the most recently used").isEqualTo(200);
    assertThat(blob(d).statusCode()).isEqualTo(200);
    awaitFile(d);

    // Evicted just after d is counted: the least recently used goes.
    until("an eviction", () -> !Files.exists(file(b)) || !Files.exists(file(a)) || !Files.exists(file(c)));
    assertThat(file(b)).as("least recently used").doesNotExist();
    assertThat(file(a)).exists();
    assertThat(file(c)).exists();
    String m = metrics();
    assertThat(value(m, "turnstile_blobcache_evictions_total{upstream=\"vendor\"}")).isEqualTo(1);
    assertThat(value(m, "turnstile_blobcache_size_bytes{upstream=\"vendor\"}")).isEqualTo(3 * LAYER);
  }

  // ---- the pull audit log ----

  @Test
  void bytesServedFromTheCache_countForThePullInTheAuditLog() throws Exception {
    String layer = v100.layers().get(0);
    assertThat(send("GET", "/v2/vendor/app/manifests/1.0.0", login.basic()).statusCode()).isEqualTo(200);
    assertThat(blob(layer).statusCode()).isEqualTo(200);
    awaitFile(layer);
    assertThat(blob(layer).statusCode()).isEqualTo(200);
    assertThat(send("GET", "/v2/vendor/app/manifests/1.1.0", login.basic()).statusCode()).as("closes the first record")
        .isEqualTo(200);

    // A pull is recorded once its answer has been written, which a client can see a moment before.
    List<JsonNode> records = new ArrayList<>();
    until("two pull records", () -> {
      assertThat(ts.server.pullAudit().flush(Duration.ofSeconds(10))).isTrue();
      records.clear();
      ts.admin("GET", "/admin/v1/pulls", null).body().get("pulls").forEach(records::add);
      return records.size() >= 2;
    });
    assertThat(records).extracting(p -> p.get("tag").asText() + "=" + p.get("blobBytes").asLong())
        .containsExactly("1.1.0=0", "1.0.0=" + 2 * LAYER);
  }

  // ---- TLS ----

  @Test
  void overTls_aCachedBlobIsServedWhole() throws Exception {
    TestCa ca = TestCa.create("Turnstile test CA");
    Path tls = dir.resolve("tls");
    ca.issue("registry").writeTo(tls);
    ts.close();
    startTurnstile("""
          tls:
            certificate: %1$s/tls.crt
            privateKey: %1$s/tls.key
        """.formatted(tls));
    SSLContext trusting = ca.clientContext();
    http = HttpClient.newBuilder().sslContext(trusting).build();
    base = "https://127.0.0.1:" + ts.server.registryAddress().getPort();
    String layer = v100.layers().get(0);
    byte[] expected = upstreamBytes(layer);

    assertThat(blob(layer).body()).isEqualTo(expected);
    awaitFile(layer);
    for (int i = 0; i < 2; i++) {
      HttpResponse<byte[]> warm = blob(layer);
      assertThat(warm.statusCode()).isEqualTo(200);
      assertThat(warm.body()).isEqualTo(expected);
    }
    HttpResponse<byte[]> range = blob(layer, "Range", "bytes=100-199");
    assertThat(range.body()).isEqualTo(Arrays.copyOfRange(expected, 100, 200));
    assertThat(upstreamGets(layer)).isEqualTo(1);
  }
}
