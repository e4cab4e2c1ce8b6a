package io.turnstile.proxy.access;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.head;
import static com.github.tomakehurst.wiremock.client.WireMock.headRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static io.turnstile.store.testing.Eventually.until;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.core.Options;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import io.turnstile.proxy.testing.ClosedPort;
import io.turnstile.proxy.testing.FakeRegistry;
import io.turnstile.proxy.testing.FakeRegistry.Image;
import io.turnstile.proxy.testing.TestTurnstile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upstream outages (issue 25, items 4 and 5) against a WireMock upstream: what was pulled is served
 * from disk while the upstream fails, a restart included; what never was gets the failure; the
 * license decision stays exactly as strict; a 429 holds every call back until its Retry-After; and
 * concurrent pulls of one tag ask the upstream once. Tags are trusted for 0 s here, so every pull
 * asks the upstream first.
 */
class UpstreamOutageIT {
  private static final int LAYER = 50_000;

  @RegisterExtension
  static WireMockExtension upstream = WireMockExtension.newInstance()
      .options(wireMockConfig().dynamicPort().useChunkedTransferEncoding(Options.ChunkedEncodingPolicy.ALWAYS))
      .build();

  @TempDir Path dir;
  private Path blobs;
  private TestTurnstile ts;
  private FakeRegistry registry;
  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();
  private Image v100;
  private Image v110;
  private TestTurnstile.Login login;

  @BeforeEach
  void start() throws Exception {
    registry = new FakeRegistry(upstream);
    v100 = registry.image("org/app", "1.0.0", 2, LAYER);
    v110 = registry.image("org/app", "1.1.0", 1, LAYER);
    registry.tags("org/app", "1.0.0", "1.1.0");
    blobs = dir.resolve("blobs");
    startTurnstile(upstream.baseUrl());
    login = ts.license("app", "1.0.0", "1.1.0");
  }

  private void startTurnstile(String upstreamUrl) throws Exception {
    startTurnstile(upstreamUrl, "");
  }

  private void startTurnstile(String upstreamUrl, String cacheYaml) throws Exception {
    startTurnstile(upstreamUrl, cacheYaml, "1s");
  }

  private void startTurnstile(String upstreamUrl, String cacheYaml, String readTimeout) throws Exception {
    ts = TestTurnstile.withCache(dir, upstreamUrl,
        "    readTimeout: " + readTimeout + "\n    cache:\n      blobs: {directory: " + blobs + ", maxSize: 64MiB}",
        "  tagTtl: 0s\n" + cacheYaml);
  }

  @AfterEach
  void stop() {
    ts.close();
  }

  private HttpResponse<byte[]> get(String path, String authorization) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(ts.registryUrl() + path)).header("Authorization", authorization)
        .header("Accept", FakeRegistry.OCI_MANIFEST + ", " + FakeRegistry.OCI_INDEX).build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  private HttpResponse<byte[]> manifest(String tag) throws Exception {
    return get("/v2/vendor/app/manifests/" + tag, login.basic());
  }

  /** Pulls {@code image} as a client does: the manifest by tag, then every blob, until each is kept on disk. */
  private void pull(String tag, Image image) throws Exception {
    HttpResponse<byte[]> m = manifest(tag);
    assertThat(m.statusCode()).as(new String(m.body())).isEqualTo(200);
    assertThat(m.headers().firstValue("Docker-Content-Digest")).contains(image.digest());
    for (String blob : blobsOf(image)) {
      HttpResponse<byte[]> b = get("/v2/vendor/app/blobs/" + blob, login.basic());
      assertThat(b.statusCode()).isEqualTo(200);
      assertThat(FakeRegistry.sha256(b.body())).isEqualTo(blob);
    }
  }

  private static List<String> blobsOf(Image image) {
    List<String> all = new ArrayList<>(image.layers());
    all.add(image.config());
    return all;
  }

  private Path blobFile(String digest) {
    String hex = digest.substring("sha256:".length());
    return blobs.resolve("sha256").resolve(hex.substring(0, 2)).resolve(hex);
  }

  private Path manifestFile(String digest) {
    String hex = digest.substring("sha256:".length());
    return blobs.resolve("manifests").resolve("sha256").resolve(hex.substring(0, 2)).resolve(hex);
  }

  /** Pulls {@code image} and waits until its blobs and manifest are on disk. */
  private void pullAndKeep(String tag, Image image) throws Exception {
    pull(tag, image);
    for (String blob : blobsOf(image)) {
      until("blob " + blob + " kept", () -> Files.exists(blobFile(blob)));
    }
    until("manifest kept", () -> Files.exists(manifestFile(image.digest())));
  }

  /** The upstream fails every call as {@code answer} says, until the stub is removed. */
  private StubMapping fail(com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder answer) {
    return upstream.stubFor(any(anyUrl()).atPriority(1).willReturn(answer));
  }

  private String metrics() throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(ts.adminUrl() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  private double staleServed() throws Exception {
    Matcher m = Pattern.compile("(?m)^turnstile_upstream_stale_served_total\\{upstream=\"vendor\"} (\\S+)$")
        .matcher(metrics());
    assertThat(m.find()).as("the stale answers counter").isTrue();
    return Double.parseDouble(m.group(1));
  }

  private JsonNode errorOf(HttpResponse<byte[]> r) throws Exception {
    return json.readTree(r.body()).path("errors").get(0);
  }

  @Test
  void aPulledVersion_isServedFromDisk_whileTheUpstreamAnswers5xx_orResetsConnections() throws Exception {
    pullAndKeep("1.0.0", v100);
    assertThat(staleServed()).isZero();

    for (var failure : List.of(aResponse().withStatus(503), aResponse().withStatus(500),
        aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER))) {
      StubMapping down = fail(failure);
      upstream.resetRequests();
      pull("1.0.0", v100);
      assertThat(upstream.findAll(headRequestedFor(urlPathEqualTo("/v2/org/app/manifests/1.0.0"))))
          .as("the upstream was asked first").isNotEmpty();
      upstream.removeStub(down);
    }
    assertThat(staleServed()).isEqualTo(3);

    // Back up: the live answer again, and nothing counted as stale.
    pull("1.0.0", v100);
    assertThat(staleServed()).isEqualTo(3);
  }

  @Test
  void aPulledVersion_isServedFromDisk_whenTheUpstreamTimesOut() throws Exception {
    pullAndKeep("1.0.0", v100);
    StubMapping slow = fail(aResponse().withStatus(200).withFixedDelay(3000));
    HttpResponse<byte[]> r = manifest("1.0.0");
    assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(200);
    assertThat(r.headers().firstValue("Docker-Content-Digest")).contains(v100.digest());
    assertThat(r.body()).isEqualTo(v100.manifest());
    assertThat(staleServed()).isEqualTo(1);
    upstream.removeStub(slow);
  }

  @Test
  void onceATagWasAnsweredStale_aHangingUpstreamIsNotWaitedForUpToItsReadTimeout() throws Exception {
    ts.close();
    startTurnstile(upstream.baseUrl(), "", "60s");
    pullAndKeep("1.0.0", v100);
    StubMapping down = fail(aResponse().withStatus(503));
    assertThat(manifest("1.0.0").statusCode()).isEqualTo(200);
    upstream.removeStub(down);
    // Now the upstream takes its time: far longer than the client below waits, and than the test runs.
    StubMapping hanging = fail(aResponse().withStatus(200).withFixedDelay(120_000));
    HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(ts.registryUrl() + "/v2/vendor/app/manifests/1.0.0"))
        .header("Authorization", login.basic()).header("Accept", FakeRegistry.OCI_MANIFEST)
        .timeout(java.time.Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(200);
    assertThat(r.headers().firstValue("Docker-Content-Digest")).contains(v100.digest());
    assertThat(staleServed()).isEqualTo(2);
    upstream.removeStub(hanging);
  }

  @Test
  void aVersionNeverPulled_getsTheUpstreamsFailure_sayingNoCopyIsKept() throws Exception {
    pullAndKeep("1.0.0", v100);
    StubMapping down = fail(aResponse().withStatus(503));

    HttpResponse<byte[]> r = manifest("1.1.0");
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(errorOf(r).path("message").asText())
        .isEqualTo("the upstream registry answered 503 resolving tag 1.1.0; Turnstile has no copy of tag 1.1.0 to serve meanwhile");

    // The upstream comes back: the new version flows at once.
    upstream.removeStub(down);
    pull("1.1.0", v110);
  }

  @Test
  void afterARestart_withTheUpstreamUnreachable_pulledVersionsAreServed_andOthersAre503_unreachable() throws Exception {
    pullAndKeep("1.0.0", v100);
    ts.close();
    try (ClosedPort closed = new ClosedPort()) {
      startTurnstile("http://127.0.0.1:" + closed.port());
      pull("1.0.0", v100);
      assertThat(get("/v2/vendor/app/manifests/" + v100.digest(), login.basic()).statusCode()).isEqualTo(200);

      HttpResponse<byte[]> never = manifest("1.1.0");
      assertThat(never.statusCode()).isEqualTo(503);
      assertThat(errorOf(never).path("message").asText())
          .isEqualTo("the upstream registry is unreachable; Turnstile has no copy of tag 1.1.0 to serve meanwhile");
      assertThat(staleServed()).isEqualTo(1);
    }
  }

  @Test
  void duringAnOutage_theLicenseDecisionIsUnchanged_aRevokedVersionIsRefusedAtOnce() throws Exception {
    pullAndKeep("1.0.0", v100);
    fail(aResponse().withStatus(503));
    pull("1.0.0", v100);

    TestTurnstile.Answer revoked = ts.admin("DELETE", "/admin/v1/licenses/" + login.username() + "/versions/1.0.0", null);
    assertThat(revoked.status()).as(revoked.raw()).isLessThan(300);
    assertThat(manifest("1.0.0").statusCode()).isEqualTo(403);
    // By digest, only the license's other tag (1.1.0, never pulled) could reach the content, and it
    // cannot be read: the answer is unknown, so the upstream's failure, never the content.
    assertThat(get("/v2/vendor/app/manifests/" + v100.digest(), login.basic()).statusCode()).isEqualTo(503);
    assertThat(get("/v2/vendor/app/blobs/" + v100.layers().get(0), login.basic()).statusCode()).isEqualTo(503);

    // A license for nothing but the revoked version is refused outright.
    TestTurnstile.Login only = ts.license("app", "1.0.0");
    login = only;
    pull("1.0.0", v100);
    ts.admin("DELETE", "/admin/v1/licenses/" + only.username() + "/versions/1.0.0", null);
    for (String path : List.of("/v2/vendor/app/manifests/1.0.0", "/v2/vendor/app/manifests/" + v100.digest(),
        "/v2/vendor/app/blobs/" + v100.config())) {
      assertThat(get(path, only.basic()).statusCode()).as(path).isIn(401, 403);
    }
  }

  @Test
  void underARangeGrant_aPulledVersionsBlobsAreServed_whileTheTagListFails() throws Exception {
    String customer = login.customer();
    JsonNode l = ts.admin("POST", "/admin/v1/licenses", "{\"customerId\":\"" + customer
        + "\",\"application\":\"app\",\"ranges\":[\"1.x\"]}").body();
    TestTurnstile.Login range = new TestTurnstile.Login(customer, l.get("id").asText(), l.get("key").asText());
    login = range;
    pullAndKeep("1.0.0", v100);
    fail(aResponse().withStatus(502));
    ts.close();
    startTurnstile(upstream.baseUrl());

    pull("1.0.0", v100);
    assertThat(manifest("1.1.0").statusCode()).isEqualTo(502);
  }

  @Test
  void aDigestTheUpstreamConfirmedLongerAgoThanStaleIfError_isNotServed() throws Exception {
    ts.close();
    startTurnstile(upstream.baseUrl(), "  staleIfError: 1s\n");
    login = ts.license("app", "1.0.0");
    pullAndKeep("1.0.0", v100);
    fail(aResponse().withStatus(503));
    until("the last confirmation older than cache.staleIfError", () -> manifest("1.0.0").statusCode() == 503);
    assertThat(errorOf(manifest("1.0.0")).path("message").asText()).endsWith("no copy of tag 1.0.0 to serve meanwhile");
  }

  @Test
  void aTagTheUpstreamNoLongerHas_isNotServedFromDisk() throws Exception {
    pullAndKeep("1.0.0", v100);
    registry.missing("org/app", "1.0.0");
    assertThat(manifest("1.0.0").statusCode()).isEqualTo(404);
    StubMapping down = fail(aResponse().withStatus(503));
    until("the tag forgotten on disk", () -> manifest("1.0.0").statusCode() == 503);
    upstream.removeStub(down);
  }

  @Test
  void a429_isHonoured_noCallBeforeRetryAfter_keptVersionsServed_andOthersGetThe429() throws Exception {
    pullAndKeep("1.0.0", v100);
    StubMapping limited = fail(aResponse().withStatus(429).withHeader("Retry-After", "120"));
    upstream.resetRequests();

    pull("1.0.0", v100);
    HttpResponse<byte[]> never = manifest("1.1.0");
    assertThat(never.statusCode()).isEqualTo(429);
    assertThat(never.headers().firstValue("Retry-After")).hasValueSatisfying(
        v -> assertThat(Integer.parseInt(v)).isBetween(1, 120));
    assertThat(errorOf(never).path("code").asText()).isEqualTo("TOOMANYREQUESTS");
    HttpResponse<byte[]> blob = get("/v2/vendor/app/blobs/" + v110.layers().get(0), login.basic());
    assertThat(blob.statusCode()).isEqualTo(429);
    pull("1.0.0", v100);

    assertThat(upstream.findAll(anyRequestedFor(anyUrl()))).as("only the call answered 429 reached the upstream")
        .hasSize(1);
    upstream.removeStub(limited);
  }

  @Test
  void concurrentPullsOfOneTag_askTheUpstreamOnce() throws Exception {
    // The tag's HEAD is slow, so every pull below arrives while the first is still asking.
    upstream.stubFor(head(urlPathEqualTo("/v2/org/app/manifests/1.1.0")).atPriority(1)
        .willReturn(aResponse().withFixedDelay(500).withHeader("Content-Type", FakeRegistry.OCI_MANIFEST)
            .withHeader("Docker-Content-Digest", v110.digest())
            .withHeader("Content-Length", String.valueOf(v110.manifest().length))));
    List<CompletableFuture<HttpResponse<byte[]>>> pulls = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      pulls.add(http.sendAsync(HttpRequest.newBuilder(URI.create(ts.registryUrl() + "/v2/vendor/app/manifests/1.1.0"))
          .header("Authorization", login.basic()).build(), HttpResponse.BodyHandlers.ofByteArray()));
    }
    for (CompletableFuture<HttpResponse<byte[]>> p : pulls) {
      HttpResponse<byte[]> r = p.get();
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("Docker-Content-Digest")).contains(v110.digest());
    }
    assertThat(upstream.findAll(headRequestedFor(urlPathEqualTo("/v2/org/app/manifests/1.1.0")))).hasSize(1);
    assertThat(upstream.findAll(getRequestedFor(urlPathEqualTo("/v2/org/app/manifests/" + v110.digest()))))
        .hasSize(1);
  }
}
