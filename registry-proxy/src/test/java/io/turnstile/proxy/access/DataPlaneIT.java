package io.turnstile.proxy.access;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.core.Options;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.turnstile.proxy.testing.FakeRegistry;
import io.turnstile.proxy.testing.FakeRegistry.Image;
import io.turnstile.proxy.testing.TestTurnstile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** What a license lets through, against a WireMock upstream with Basic auth. */
class DataPlaneIT {
  @RegisterExtension
  static WireMockExtension upstream = WireMockExtension.newInstance()
      .options(wireMockConfig().dynamicPort().useChunkedTransferEncoding(Options.ChunkedEncodingPolicy.ALWAYS))
      .build();

  @TempDir Path dir;
  private TestTurnstile ts;
  private FakeRegistry registry;
  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();
  private String base;
  private String licenseId;
  private String key;
  private Image v100;
  private Image v110;
  private Image v200;
  private Image chart;

  @BeforeEach
  void start() throws Exception {
    registry = new FakeRegistry(upstream);
    v100 = registry.image("org/app", "1.0.0", 2, 2000);
    v110 = registry.image("org/app", "1.1.0", 2, 2000);
    v200 = registry.image("org/app", "2.0.0", 2, 2000);
    registry.tags("org/app", "2.0.0", "1.1.0", "1.0.0", "latest", "0.9");
    chart = registry.image("org/charts/app", "1.0.0", 1, 500);
    ts = new TestTurnstile(dir, upstream.baseUrl());
    base = ts.registryUrl();
    TestTurnstile.Login login = ts.license("app", "1.0.0", "1.1.0");
    licenseId = login.username();
    key = login.key();
  }

  @AfterEach
  void stop() {
    ts.close();
  }

  private HttpResponse<byte[]> pull(String path, String... headers) throws Exception {
    return send("GET", path, headers);
  }

  private HttpResponse<byte[]> send(String method, String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).method(method, HttpRequest.BodyPublishers.noBody())
        .header("Authorization", TestTurnstile.basic(licenseId, key));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private JsonNode body(HttpResponse<byte[]> r) throws Exception {
    return json.readTree(r.body());
  }

  private static String code(JsonNode error) {
    return error.get("errors").get(0).get("code").asText();
  }

  // ---- manifests ----

  @Test
  void manifestByGrantedTag_isServedWithItsDigest() throws Exception {
    HttpResponse<byte[]> r = pull("/v2/vendor/app/manifests/1.0.0", "Accept", FakeRegistry.OCI_MANIFEST);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(v100.manifest());
    assertThat(r.headers().firstValue("Docker-Content-Digest")).contains(v100.digest());
    assertThat(r.headers().firstValue("Content-Type")).contains(FakeRegistry.OCI_MANIFEST);

    HttpResponse<byte[]> h = send("HEAD", "/v2/vendor/app/manifests/1.1.0");
    assertThat(h.statusCode()).isEqualTo(200);
    assertThat(h.headers().firstValue("Docker-Content-Digest")).contains(v110.digest());
    assertThat(h.headers().firstValue("Content-Length")).contains(String.valueOf(v110.manifest().length));
    assertThat(h.body()).isEmpty();
  }

  @Test
  void acceptSentAsSeveralHeaders_likeDocker_isHonoured() throws Exception {
    HttpResponse<byte[]> r = pull("/v2/vendor/app/manifests/1.0.0",
        "Accept", "application/vnd.docker.distribution.manifest.v2+json", "Accept", FakeRegistry.OCI_MANIFEST);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Docker-Content-Digest")).contains(v100.digest());
  }

  @Test
  void manifestByUngrantedTag_isDenied_withoutAskingTheUpstream() throws Exception {
    upstream.resetRequests();
    for (String tag : new String[] {"2.0.0", "latest", "9.9.9"}) {
      HttpResponse<byte[]> r = pull("/v2/vendor/app/manifests/" + tag);
      assertThat(r.statusCode()).as(tag).isEqualTo(403);
      assertThat(code(body(r))).isEqualTo("DENIED");
      assertThat(body(r).get("errors").get(0).get("message").asText()).contains("license", tag);
    }
    upstream.verify(0, anyRequestedFor(urlPathMatching(".*/manifests/(2\\.0\\.0|latest|9\\.9\\.9)")));
  }

  @Test
  void manifestByDigest_reachableFromAGrantedTag_isServed() throws Exception {
    HttpResponse<byte[]> r = pull("/v2/vendor/app/manifests/" + v110.digest());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(v110.manifest());
  }

  @Test
  void manifestByDigest_ofAnUngrantedVersion_isDenied() throws Exception {
    HttpResponse<byte[]> r = pull("/v2/vendor/app/manifests/" + v200.digest());
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(code(body(r))).isEqualTo("DENIED");
    HttpResponse<byte[]> unknown = pull("/v2/vendor/app/manifests/sha256:" + "0".repeat(64));
    assertThat(unknown.statusCode()).as("same answer whether or not it exists").isEqualTo(403);
  }

  @Test
  void childManifestsOfAGrantedIndex_areServed() throws Exception {
    Image amd = registry.image("org/app", null, 1, 300);
    Image arm = registry.image("org/app", null, 1, 300);
    Image index = registry.index("org/app", "1.0.0", amd, arm);
    assertThat(pull("/v2/vendor/app/manifests/1.0.0").body()).isEqualTo(index.manifest());
    assertThat(pull("/v2/vendor/app/manifests/" + arm.digest()).statusCode()).isEqualTo(200);
    assertThat(pull("/v2/vendor/app/blobs/" + arm.layers().get(0)).body()).hasSize(300);
    assertThat(pull("/v2/vendor/app/manifests/" + v200.digest()).statusCode()).isEqualTo(403);
  }

  @Test
  void manifestByDigest_isServedFromMemoryAfterTheFirstTime() throws Exception {
    pull("/v2/vendor/app/manifests/" + v100.digest());
    upstream.resetRequests();
    for (int i = 0; i < 5; i++) {
      assertThat(pull("/v2/vendor/app/manifests/" + v100.digest()).statusCode()).isEqualTo(200);
      assertThat(send("HEAD", "/v2/vendor/app/manifests/1.0.0").statusCode()).isEqualTo(200);
    }
    upstream.verify(0, anyRequestedFor(urlPathMatching("/v2/org/app/manifests/.*")));
  }

  // ---- blobs ----

  @Test
  void blobOfAGrantedImage_streamsTheExactBytes() throws Exception {
    HttpResponse<byte[]> r = pull("/v2/vendor/app/blobs/" + v100.layers().get(1));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(FakeRegistry.sha256(r.body())).isEqualTo(v100.layers().get(1));
    assertThat(r.headers().firstValue("Docker-Content-Digest")).contains(v100.layers().get(1));
    HttpResponse<byte[]> config = pull("/v2/vendor/app/blobs/" + v110.config());
    assertThat(FakeRegistry.sha256(config.body())).isEqualTo(v110.config());
  }

  @Test
  void blobOnlyInAnUngrantedVersion_isDenied_evenByItsExactDigest() throws Exception {
    upstream.resetRequests();
    HttpResponse<byte[]> r = pull("/v2/vendor/app/blobs/" + v200.layers().get(0));
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(code(body(r))).isEqualTo("DENIED");
    upstream.verify(0, getRequestedFor(urlPathEqualTo("/v2/org/app/blobs/" + v200.layers().get(0))));
  }

  @Test
  void blobRange_isForwarded() throws Exception {
    upstream.stubFor(get(urlPathEqualTo("/v2/org/app/blobs/" + v100.layers().get(0)))
        .withHeader("Range", com.github.tomakehurst.wiremock.client.WireMock.equalTo("bytes=0-9"))
        .withBasicAuth(FakeRegistry.USER, FakeRegistry.PASSWORD)
        .willReturn(aResponse().withStatus(206).withHeader("Content-Range", "bytes 0-9/2000").withBody(new byte[10])));
    HttpResponse<byte[]> r = pull("/v2/vendor/app/blobs/" + v100.layers().get(0), "Range", "bytes=0-9");
    assertThat(r.statusCode()).isEqualTo(206);
    assertThat(r.headers().firstValue("Content-Range")).contains("bytes 0-9/2000");
    assertThat(r.body()).hasSize(10);
  }

  @Test
  void helmChartInItsOwnRepository_isGrantedByTheSameVersion() throws Exception {
    ts.admin("POST", "/admin/v1/licenses/" + licenseId + "/versions", "{\"versions\":[\"1.0.0\"]}");
    assertThat(pull("/v2/charts/app/manifests/1.0.0").statusCode()).isEqualTo(200);
    HttpResponse<byte[]> layer = pull("/v2/charts/app/blobs/" + chart.layers().get(0));
    assertThat(FakeRegistry.sha256(layer.body())).isEqualTo(chart.layers().get(0));
  }

  // ---- live license edits ----

  @Test
  void grantingAVersion_makesItPullableOnTheNextRequest() throws Exception {
    assertThat(pull("/v2/vendor/app/blobs/" + v200.layers().get(0)).statusCode()).isEqualTo(403);
    ts.admin("POST", "/admin/v1/licenses/" + licenseId + "/versions", "{\"versions\":[\"2.0.0\"]}");
    assertThat(pull("/v2/vendor/app/manifests/2.0.0").statusCode()).isEqualTo(200);
    assertThat(pull("/v2/vendor/app/blobs/" + v200.layers().get(0)).statusCode()).isEqualTo(200);
  }

  @Test
  void revokingMidPull_blocksTheNextBlob() throws Exception {
    assertThat(pull("/v2/vendor/app/blobs/" + v100.layers().get(0)).statusCode()).isEqualTo(200);
    ts.admin("DELETE", "/admin/v1/licenses/" + licenseId + "/versions/1.0.0", null);
    assertThat(pull("/v2/vendor/app/blobs/" + v100.layers().get(1)).statusCode()).isEqualTo(403);
    assertThat(pull("/v2/vendor/app/blobs/" + v110.layers().get(1)).statusCode()).isEqualTo(200);
    ts.admin("DELETE", "/admin/v1/licenses/" + licenseId, null);
    assertThat(pull("/v2/vendor/app/blobs/" + v110.layers().get(1)).statusCode()).isEqualTo(401);
  }

  // ---- lists ----

  @Test
  void tagList_showsOnlyGrantedTagsThatExist_sorted() throws Exception {
    ts.admin("POST", "/admin/v1/licenses/" + licenseId + "/versions", "{\"versions\":[\"3.0.0\"]}");
    JsonNode tags = body(pull("/v2/vendor/app/tags/list"));
    assertThat(tags.get("name").asText()).isEqualTo("vendor/app");
    assertThat(tags.get("tags")).extracting(JsonNode::asText).containsExactly("1.0.0", "1.1.0");
  }

  @Test
  void tagList_paginatesTheFilteredList() throws Exception {
    ts.admin("POST", "/admin/v1/licenses/" + licenseId + "/versions", "{\"versions\":[\"2.0.0\",\"0.9\"]}");
    HttpResponse<byte[]> first = pull("/v2/vendor/app/tags/list?n=2");
    assertThat(body(first).get("tags")).extracting(JsonNode::asText).containsExactly("0.9", "1.0.0");
    assertThat(first.headers().firstValue("Link")).contains("</v2/vendor/app/tags/list?last=1.0.0&n=2>; rel=\"next\"");
    HttpResponse<byte[]> second = pull("/v2/vendor/app/tags/list?last=1.0.0&n=2");
    assertThat(body(second).get("tags")).extracting(JsonNode::asText).containsExactly("1.1.0", "2.0.0");
    HttpResponse<byte[]> third = pull("/v2/vendor/app/tags/list?last=2.0.0&n=2");
    assertThat(body(third).get("tags")).isEmpty();
    assertThat(third.headers().firstValue("Link")).isEmpty();
    assertThat(pull("/v2/vendor/app/tags/list?n=-1").statusCode()).isEqualTo(400);
    assertThat(pull("/v2/vendor/app/tags/list?n=x").statusCode()).isEqualTo(400);
  }

  @Test
  void tagList_followsTheUpstreamsPages() throws Exception {
    upstream.stubFor(get(urlPathEqualTo("/v2/org/app/tags/list")).withBasicAuth(FakeRegistry.USER, FakeRegistry.PASSWORD)
        .withQueryParam("n", com.github.tomakehurst.wiremock.client.WireMock.equalTo("10000"))
        .willReturn(aResponse().withHeader("Link", "</v2/org/app/tags/list?last=1.0.0&n=10000>; rel=\"next\"")
            .withBody("{\"name\":\"org/app\",\"tags\":[\"0.1\",\"1.0.0\"]}")));
    upstream.stubFor(get(urlPathEqualTo("/v2/org/app/tags/list")).withBasicAuth(FakeRegistry.USER, FakeRegistry.PASSWORD)
        .withQueryParam("last", com.github.tomakehurst.wiremock.client.WireMock.equalTo("1.0.0"))
        .willReturn(aResponse().withBody("{\"name\":\"org/app\",\"tags\":[\"1.1.0\",\"2.0.0\"]}")));
    assertThat(body(pull("/v2/vendor/app/tags/list")).get("tags")).extracting(JsonNode::asText)
        .containsExactly("1.0.0", "1.1.0");
  }

  @Test
  void catalog_listsOnlyLicensedRepositories() throws Exception {
    JsonNode c = body(pull("/v2/_catalog"));
    assertThat(c.get("repositories")).extracting(JsonNode::asText).containsExactly("charts/app", "vendor/app");
    HttpResponse<byte[]> page = pull("/v2/_catalog?n=1");
    assertThat(body(page).get("repositories")).extracting(JsonNode::asText).containsExactly("charts/app");
    assertThat(page.headers().firstValue("Link")).contains("</v2/_catalog?last=charts%2Fapp&n=1>; rel=\"next\"");
  }

  @Test
  void repositoryOutsideTheLicenses_getsTheSameAnswerWhetherConfiguredOrNot_withLicenseOrCustomerKey() throws Exception {
    TestTurnstile.Login tool = ts.license("tool", "1.0");
    JsonNode customerKey = ts.admin("POST", "/admin/v1/customers/" + tool.customer() + "/keys", null).body();
    String token = body(pullAs("/token?scope=repository:charts/app:pull", tool.basic())).get("token").asText();
    upstream.resetRequests();
    for (String authorization : new String[] {tool.basic(),
        TestTurnstile.basic(customerKey.get("username").asText(), customerKey.get("key").asText())}) {
      for (String suffix : new String[] {"/manifests/x", "/tags/list", "/blobs/sha256:" + "a".repeat(64)}) {
        // charts/app is configured (for application app); org/app is only the upstream's name.
        List<String> licensed = refusal(pullAs("/v2/charts/app" + suffix, authorization), "charts/app");
        List<String> unknown = refusal(pullAs("/v2/org/app" + suffix, authorization), "org/app");
        assertThat(licensed).as(suffix).isEqualTo(unknown);
        List<String> bearer = refusal(pullAs("/v2/charts/app" + suffix, "Bearer " + token), "charts/app");
        assertThat(licensed.subList(0, 2)).as(suffix).containsExactly("401", "UNAUTHORIZED").isEqualTo(bearer.subList(0, 2));
        assertThat(licensed.get(3)).as(suffix).isEqualTo(bearer.get(3))
            .contains("scope=\"repository:NAME:pull\"", "error=\"insufficient_scope\"");
      }
    }
    upstream.verify(0, anyRequestedFor(urlPathMatching("/v2/.+")));
  }

  private HttpResponse<byte[]> pullAs(String path, String authorization) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", authorization).build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  /** Status, error code, message and challenge of a refusal, with the repository's name as NAME. */
  private List<String> refusal(HttpResponse<byte[]> r, String repository) throws Exception {
    JsonNode error = body(r).get("errors").get(0);
    return List.of(String.valueOf(r.statusCode()), error.get("code").asText(),
        error.get("message").asText().replace(repository, "NAME"),
        r.headers().firstValue("WWW-Authenticate").orElse("").replace(repository, "NAME"));
  }

  // ---- hostile input ----

  @Test
  void aReferenceThatCannotBeATag_isAnUnknownManifest_afterAuthentication() throws Exception {
    upstream.resetRequests();
    HttpResponse<byte[]> stranger = http.send(HttpRequest.newBuilder(
        URI.create(base + "/v2/vendor/app/manifests/.INVALID_MANIFEST_NAME")).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(stranger.statusCode()).isEqualTo(401);
    HttpResponse<byte[]> r = pull("/v2/vendor/app/manifests/.INVALID_MANIFEST_NAME");
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(code(body(r))).isEqualTo("MANIFEST_UNKNOWN");
    upstream.verify(0, anyRequestedFor(urlPathMatching("/v2/.+")));
  }

  @Test
  void referrersTheUpstreamDoesNotHave_are404WithACodeFromTheSpec() throws Exception {
    upstream.stubFor(get(urlPathEqualTo("/v2/org/app/referrers/" + v100.digest()))
        .withBasicAuth(FakeRegistry.USER, FakeRegistry.PASSWORD).willReturn(aResponse().withStatus(404)));
    HttpResponse<byte[]> r = pull("/v2/vendor/app/referrers/" + v100.digest());
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(code(body(r))).isEqualTo("MANIFEST_UNKNOWN");
  }

  @Test
  void malformedPaths_are4xx_beforeAnyUpstreamRequest() throws Exception {
    upstream.resetRequests();
    for (String path : Arrays.asList(
        "/v2/vendor/../vendor/app/manifests/1.0.0", "/v2/vendor/%2e%2e/app/manifests/1.0.0",
        "/v2/vendor%2Fapp/manifests/1.0.0", "/v2/vendor/app/blobs/sha256:zz",
        "/v2/vendor/app/blobs/sha256:" + "a".repeat(63), "/v2/vendor/app/manifests/" + "t".repeat(200),
        "/v2/" + "a/".repeat(200) + "manifests/1.0.0", "/v2/vendor/app/manifests/-bad", "/v2/Vendor/App/tags/list",
        "/v2/vendor//app/tags/list", "/v2/vendor/app/whatever")) {
      HttpResponse<byte[]> r = pull(path);
      assertThat(r.statusCode()).as(path).isBetween(400, 404);
    }
    upstream.verify(0, anyRequestedFor(urlPathMatching("/v2/.+")));
  }
}
