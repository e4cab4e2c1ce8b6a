package io.turnstile.proxy.access;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.core.Options;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import io.turnstile.proxy.testing.ClosedPort;
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
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** How the proxy copes with upstream registries: Bearer auth, redirects, failures. */
class UpstreamBehaviourIT {
  @RegisterExtension
  static WireMockExtension upstream = WireMockExtension.newInstance()
      .options(wireMockConfig().dynamicPort().useChunkedTransferEncoding(Options.ChunkedEncodingPolicy.ALWAYS))
      .build();

  @RegisterExtension
  static WireMockExtension storage = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

  @TempDir Path dir;
  private TestTurnstile ts;
  private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
  private final ObjectMapper json = new ObjectMapper();
  private String base;
  private String licenseId;
  private String key;
  private String customer;

  private void start(String upstreamUrl, String extra, boolean upstreamCredentials) throws Exception {
    ts = new TestTurnstile(dir, upstreamUrl, extra, upstreamCredentials);
    base = ts.registryUrl();
    TestTurnstile.Login login = ts.license("app", "1.0.0");
    customer = login.customer();
    licenseId = login.username();
    key = login.key();
  }

  @AfterEach
  void stop() {
    if (ts != null) {
      ts.close();
    }
  }

  private HttpResponse<byte[]> pull(String path) throws Exception {
    HttpRequest r = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20))
        .header("Authorization", TestTurnstile.basic(licenseId, key))
        .GET().build();
    return http.send(r, HttpResponse.BodyHandlers.ofByteArray());
  }

  private String code(HttpResponse<byte[]> r) throws Exception {
    return json.readTree(r.body()).get("errors").get(0).get("code").asText();
  }

  /** A registry that wants Bearer tokens from its own token service, which wants Basic credentials. */
  private void bearerRegistry(String... tokens) {
    String challenge = "Bearer realm=\"" + upstream.baseUrl() + "/auth\",service=\"fake-registry\"";
    upstream.stubFor(any(anyUrl()).atPriority(10).willReturn(aResponse().withStatus(401)
        .withHeader("WWW-Authenticate", challenge).withBody("{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}")));
    for (int i = 0; i < tokens.length; i++) {
      upstream.stubFor(WireMock.get(urlPathEqualTo("/auth")).inScenario("tokens")
          .whenScenarioStateIs(i == 0 ? Scenario.STARTED : "t" + i).willSetStateTo("t" + (i + 1))
          .withQueryParam("service", equalTo("fake-registry"))
          .withQueryParam("scope", equalTo("repository:org/app:pull"))
          .withBasicAuth(FakeRegistry.USER, FakeRegistry.PASSWORD)
          .willReturn(aResponse().withHeader("Content-Type", "application/json")
              .withBody("{\"token\":\"" + tokens[i] + "\",\"expires_in\":300}")));
    }
  }

  private void bearerManifest(String token, byte[] manifest, String digest) {
    for (String ref : List.of("1.0.0", digest)) {
      upstream.stubFor(WireMock.get(urlPathEqualTo("/v2/org/app/manifests/" + ref))
          .withHeader("Authorization", equalTo("Bearer " + token))
          .willReturn(aResponse().withHeader("Content-Type", FakeRegistry.OCI_MANIFEST)
              .withHeader("Docker-Content-Digest", digest).withBody(manifest)));
      upstream.stubFor(WireMock.head(urlPathEqualTo("/v2/org/app/manifests/" + ref))
          .withHeader("Authorization", equalTo("Bearer " + token))
          .willReturn(aResponse().withHeader("Content-Type", FakeRegistry.OCI_MANIFEST)
              .withHeader("Docker-Content-Digest", digest)));
    }
  }

  private static final byte[] MANIFEST = ("{\"schemaVersion\":2,\"mediaType\":\"" + FakeRegistry.OCI_MANIFEST
      + "\",\"config\":{\"digest\":\"sha256:" + "c".repeat(64) + "\"},\"layers\":[{\"digest\":\"sha256:" + "1".repeat(64)
      + "\"}]}").getBytes(StandardCharsets.UTF_8);
  private static final String MANIFEST_DIGEST = FakeRegistry.sha256(MANIFEST);
  private static final String LAYER = "sha256:" + "1".repeat(64);

  @Test
  void bearerDance_tokenIsFetchedOnceAndReused() throws Exception {
    bearerRegistry("t1");
    bearerManifest("t1", MANIFEST, MANIFEST_DIGEST);
    upstream.stubFor(WireMock.get(urlPathEqualTo("/v2/org/app/blobs/" + LAYER)).withHeader("Authorization", equalTo("Bearer t1"))
        .willReturn(aResponse().withBody("layer-bytes")));
    start(upstream.baseUrl(), "", true);
    for (int i = 0; i < 3; i++) {
      assertThat(pull("/v2/vendor/app/manifests/1.0.0").statusCode()).isEqualTo(200);
      HttpResponse<byte[]> blob = pull("/v2/vendor/app/blobs/" + LAYER);
      assertThat(blob.statusCode()).isEqualTo(200);
      assertThat(new String(blob.body(), StandardCharsets.UTF_8)).isEqualTo("layer-bytes");
    }
    upstream.verify(1, getRequestedFor(urlPathEqualTo("/auth")));
  }

  @Test
  void bearerDance_aRejectedTokenIsReplaced() throws Exception {
    bearerRegistry("t1", "t2");
    bearerManifest("t1", MANIFEST, MANIFEST_DIGEST);
    start(upstream.baseUrl(), "", true);
    assertThat(pull("/v2/vendor/app/manifests/1.0.0").statusCode()).isEqualTo(200);
    // The upstream stops taking t1 (expired or revoked on its side) and now wants t2.
    upstream.removeStub(upstream.getStubMapping(upstream.getStubMappings().stream()
        .filter(s -> s.getRequest().getHeaders() != null && s.getRequest().getHeaders().containsKey("Authorization")
            && s.getRequest().getMethod().getName().equals("GET"))
        .findFirst().orElseThrow().getId()).getItem());
    upstream.getStubMappings().stream()
        .filter(s -> s.getRequest().getHeaders() != null && s.getRequest().getHeaders().containsKey("Authorization"))
        .toList().forEach(upstream::removeStub);
    bearerManifest("t2", MANIFEST, MANIFEST_DIGEST);
    upstream.stubFor(WireMock.get(urlPathEqualTo("/v2/org/app/blobs/" + LAYER)).withHeader("Authorization", equalTo("Bearer t2"))
        .willReturn(aResponse().withBody("fresh")));
    HttpResponse<byte[]> blob = pull("/v2/vendor/app/blobs/" + LAYER);
    assertThat(blob.statusCode()).isEqualTo(200);
    assertThat(new String(blob.body(), StandardCharsets.UTF_8)).isEqualTo("fresh");
    upstream.verify(2, getRequestedFor(urlPathEqualTo("/auth")));
  }

  @Test
  void licenseWithItsOwnUpstreamCredentials_pullsWithThem() throws Exception {
    start(upstream.baseUrl(), "", true);
    upstream.stubFor(any(anyUrl()).atPriority(10).willReturn(aResponse().withStatus(401).withHeader("WWW-Authenticate", "Basic realm=\"x\"")));
    for (String ref : List.of("1.0.0", MANIFEST_DIGEST)) {
      upstream.stubFor(WireMock.get(urlPathEqualTo("/v2/org/app/manifests/" + ref)).withBasicAuth("customer-bot", "customer-pw")
          .willReturn(aResponse().withHeader("Content-Type", FakeRegistry.OCI_MANIFEST)
              .withHeader("Docker-Content-Digest", MANIFEST_DIGEST).withBody(MANIFEST)));
    }
    upstream.stubFor(WireMock.head(urlPathEqualTo("/v2/org/app/manifests/1.0.0")).withBasicAuth("customer-bot", "customer-pw")
        .willReturn(aResponse().withHeader("Docker-Content-Digest", MANIFEST_DIGEST)));
    assertThat(pull("/v2/vendor/app/manifests/1.0.0").statusCode()).as("vendor credentials are refused here").isEqualTo(502);
    ts.admin("PATCH", "/admin/v1/licenses/" + licenseId,
        "{\"upstreamCredentials\":{\"username\":\"customer-bot\",\"password\":\"customer-pw\"}}");
    HttpResponse<byte[]> r = pull("/v2/vendor/app/manifests/1.0.0");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(MANIFEST);
    ts.admin("PATCH", "/admin/v1/licenses/" + licenseId,
        "{\"upstreamCredentials\":{\"username\":\"customer-bot\",\"password\":\"wrong\"}}");
    HttpResponse<byte[]> wrong = pull("/v2/vendor/app/manifests/1.0.0");
    assertThat(wrong.statusCode()).isEqualTo(502);
    assertThat(new String(wrong.body(), StandardCharsets.UTF_8)).contains("rejected");
  }

  private void basicRegistryWithRedirectedBlob(String location) {
    new FakeRegistry(upstream);
    upstream.stubFor(WireMock.get(urlPathEqualTo("/v2/org/app/manifests/1.0.0")).withBasicAuth(FakeRegistry.USER, FakeRegistry.PASSWORD)
        .willReturn(aResponse().withHeader("Content-Type", FakeRegistry.OCI_MANIFEST).withHeader("Docker-Content-Digest", MANIFEST_DIGEST)
            .withBody(MANIFEST)));
    upstream.stubFor(WireMock.head(urlPathEqualTo("/v2/org/app/manifests/1.0.0")).withBasicAuth(FakeRegistry.USER, FakeRegistry.PASSWORD)
        .willReturn(aResponse().withHeader("Docker-Content-Digest", MANIFEST_DIGEST)));
    upstream.stubFor(WireMock.get(urlPathEqualTo("/v2/org/app/manifests/" + MANIFEST_DIGEST)).withBasicAuth(FakeRegistry.USER, FakeRegistry.PASSWORD)
        .willReturn(aResponse().withHeader("Content-Type", FakeRegistry.OCI_MANIFEST).withBody(MANIFEST)));
    upstream.stubFor(WireMock.get(urlPathEqualTo("/v2/org/app/blobs/" + LAYER)).withBasicAuth(FakeRegistry.USER, FakeRegistry.PASSWORD)
        .willReturn(aResponse().withStatus(307).withHeader("Location", location)));
    storage.stubFor(WireMock.get(urlPathEqualTo("/bucket/layer")).withQueryParam("X-Amz-Signature", equalTo("abc"))
        .withHeader("Authorization", absent())
        .willReturn(aResponse().withHeader("Content-Type", "application/octet-stream").withBody("from-object-storage")));
  }

  @Test
  void blobRedirect_follow_streamsTheTargetWithoutOurCredentials() throws Exception {
    basicRegistryWithRedirectedBlob(storage.baseUrl() + "/bucket/layer?X-Amz-Signature=abc");
    start(upstream.baseUrl(), "", true);
    HttpResponse<byte[]> r = pull("/v2/vendor/app/blobs/" + LAYER);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("from-object-storage");
    storage.verify(1, getRequestedFor(urlPathEqualTo("/bucket/layer")).withHeader("Authorization", absent()));
  }

  @Test
  void blobRedirect_passthrough_handsTheLocationToTheClient() throws Exception {
    basicRegistryWithRedirectedBlob(storage.baseUrl() + "/bucket/layer?X-Amz-Signature=abc");
    start(upstream.baseUrl(), "    blobRedirects: passthrough", true);
    HttpResponse<byte[]> r = pull("/v2/vendor/app/blobs/" + LAYER);
    assertThat(r.statusCode()).isEqualTo(307);
    assertThat(r.headers().firstValue("Location")).contains(storage.baseUrl() + "/bucket/layer?X-Amz-Signature=abc");
    storage.verify(0, anyRequestedFor(anyUrl()));
  }

  @Test
  void blobRedirectBackToTheUpstream_isFollowedEvenInPassthrough() throws Exception {
    basicRegistryWithRedirectedBlob("/internal/blob");
    upstream.stubFor(WireMock.get(urlPathEqualTo("/internal/blob")).withBasicAuth(FakeRegistry.USER, FakeRegistry.PASSWORD)
        .willReturn(aResponse().withBody("same-origin")));
    start(upstream.baseUrl(), "    blobRedirects: passthrough", true);
    HttpResponse<byte[]> r = pull("/v2/vendor/app/blobs/" + LAYER);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("same-origin");
  }

  @Test
  void upstream5xx_becomesA5xxRegistryError() throws Exception {
    new FakeRegistry(upstream);
    start(upstream.baseUrl(), "", true);
    upstream.stubFor(WireMock.head(urlPathEqualTo("/v2/org/app/manifests/1.0.0")).willReturn(aResponse().withStatus(500)));
    upstream.stubFor(WireMock.get(urlPathEqualTo("/v2/org/app/manifests/1.0.0")).willReturn(aResponse().withStatus(500)));
    HttpResponse<byte[]> r = pull("/v2/vendor/app/manifests/1.0.0");
    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(code(r)).isEqualTo("UNAVAILABLE");
    upstream.stubFor(WireMock.head(urlPathEqualTo("/v2/org/app/manifests/1.0.0")).willReturn(aResponse().withStatus(503)));
    assertThat(pull("/v2/vendor/app/manifests/1.0.0").statusCode()).isEqualTo(503);
  }

  @Test
  void upstreamTooSlow_is504WithinTheReadTimeout() throws Exception {
    new FakeRegistry(upstream);
    upstream.stubFor(WireMock.head(urlPathEqualTo("/v2/org/app/manifests/1.0.0")).willReturn(aResponse().withFixedDelay(5000)));
    upstream.stubFor(WireMock.get(urlPathEqualTo("/v2/org/app/manifests/1.0.0")).willReturn(aResponse().withFixedDelay(5000)));
    start(upstream.baseUrl(), "    readTimeout: 1s", true);
    long t0 = System.nanoTime();
    HttpResponse<byte[]> r = pull("/v2/vendor/app/manifests/1.0.0");
    assertThat(r.statusCode()).isEqualTo(504);
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(4));
  }

  @Test
  void aPooledConnectionIdleBeyondTheReadTimeout_givesTheNextCallItsWholeReadTimeout() throws Exception {
    FakeRegistry registry = new FakeRegistry(upstream);
    FakeRegistry.Image image = registry.image("org/app", "1.0.0", 1, 4096);
    start(upstream.baseUrl(), "    readTimeout: 1s", true);
    String layer = image.layers().get(0);
    assertThat(pull("/v2/vendor/app/blobs/" + layer).statusCode()).isEqualTo(200);
    // The connection now waits in the pool past its read timeout; the next answer takes 0.7 s.
    Thread.sleep(1500);
    upstream.stubFor(WireMock.get(urlPathEqualTo("/v2/org/app/blobs/" + layer)).atPriority(1)
        .willReturn(aResponse().withFixedDelay(700).withHeader("Content-Type", "application/octet-stream")
            .withBody(new byte[4096])));
    HttpResponse<byte[]> slow = pull("/v2/vendor/app/blobs/" + layer);
    assertThat(slow.statusCode()).as(new String(slow.body(), StandardCharsets.UTF_8)).isEqualTo(200);
  }

  @Test
  void upstreamDown_is503_andTheProxyRecoversWhenItReturns() throws Exception {
    try (ClosedPort closed = new ClosedPort()) {
      start("http://127.0.0.1:" + closed.port(), "    connectTimeout: 1s", true);
      HttpResponse<byte[]> r = pull("/v2/vendor/app/manifests/1.0.0");
      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(new String(r.body(), StandardCharsets.UTF_8)).contains("unreachable");
    }
  }

  @Test
  void garbageFromTheUpstream_is502() throws Exception {
    new FakeRegistry(upstream);
    upstream.stubFor(WireMock.head(urlPathEqualTo("/v2/org/app/manifests/1.0.0")).willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
    upstream.stubFor(WireMock.get(urlPathEqualTo("/v2/org/app/manifests/1.0.0")).willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
    start(upstream.baseUrl(), "", true);
    assertThat(pull("/v2/vendor/app/manifests/1.0.0").statusCode()).isEqualTo(502);
  }

  @Test
  void upstreamDyingMidBlob_closesTheClientConnection() throws Exception {
    byte[] manifest = MANIFEST;
    try (ServerSocket fake = new ServerSocket(0)) {
      Thread server = new Thread(() -> RawUpstream.serveTruncating(fake, manifest));
      server.setDaemon(true);
      server.start();
      start("http://127.0.0.1:" + fake.getLocalPort(), "", false);
      try (Socket client = new Socket("127.0.0.1", ts.server.registryAddress().getPort())) {
        client.setSoTimeout(10_000);
        String auth = Base64.getEncoder().encodeToString((licenseId + ":" + key).getBytes(StandardCharsets.UTF_8));
        client.getOutputStream().write(("GET /v2/vendor/app/blobs/" + LAYER + " HTTP/1.1\r\nHost: x\r\nAuthorization: Basic "
            + auth + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        byte[] all = client.getInputStream().readAllBytes();
        String text = new String(all, StandardCharsets.ISO_8859_1);
        assertThat(text).startsWith("HTTP/1.1 200").contains("content-length: 100000");
        int bodyStart = text.indexOf("\r\n\r\n") + 4;
        assertThat(all.length - bodyStart).as("the client sees the truncation").isLessThan(100_000);
      }
    }
  }

  @Test
  void clientLeavingMidBlob_closesTheUpstreamConnection() throws Exception {
    java.util.concurrent.CountDownLatch upstreamClosed = new java.util.concurrent.CountDownLatch(1);
    try (ServerSocket fake = new ServerSocket(0)) {
      Thread server = new Thread(() -> RawUpstream.serveEndless(fake, MANIFEST, upstreamClosed));
      server.setDaemon(true);
      server.start();
      start("http://127.0.0.1:" + fake.getLocalPort(), "", false);
      try (Socket client = new Socket("127.0.0.1", ts.server.registryAddress().getPort())) {
        String auth = Base64.getEncoder().encodeToString((licenseId + ":" + key).getBytes(StandardCharsets.UTF_8));
        client.getOutputStream().write(("GET /v2/vendor/app/blobs/" + LAYER + " HTTP/1.1\r\nHost: x\r\nAuthorization: Basic "
            + auth + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        byte[] first = client.getInputStream().readNBytes(1000);
        assertThat(new String(first, StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 200");
      }
      assertThat(upstreamClosed.await(10, java.util.concurrent.TimeUnit.SECONDS))
          .as("the upstream connection is closed when the client goes").isTrue();
      assertThat(pull("/v2/vendor/app/manifests/1.0.0").statusCode()).as("the proxy carries on").isEqualTo(200);
    }
  }
}
