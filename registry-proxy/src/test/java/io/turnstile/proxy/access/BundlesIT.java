package io.turnstile.proxy.access;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.core.Options;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.turnstile.proxy.testing.CliRun;
import io.turnstile.proxy.testing.FakeRegistry;
import io.turnstile.proxy.testing.FakeRegistry.Image;
import io.turnstile.proxy.testing.TestTurnstile;
import io.turnstile.proxy.testing.TestTurnstile.Login;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Air-gap bundles from the public listener, against a WireMock upstream. */
class BundlesIT {
  @RegisterExtension
  static WireMockExtension upstream = WireMockExtension.newInstance()
      .options(wireMockConfig().dynamicPort().useChunkedTransferEncoding(Options.ChunkedEncodingPolicy.ALWAYS))
      .build();

  @TempDir Path dir;
  private TestTurnstile ts;
  private FakeRegistry registry;
  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();
  private Image v1;
  private Image v2;
  private Image v2amd;
  private Image v2arm;
  private Image chart1;
  private Image v3;
  private Login login;

  @BeforeEach
  void start() throws Exception {
    registry = new FakeRegistry(upstream);
    registry.unknownIsNotFound();
    v1 = registry.image("org/app", "1.0.0", 2, 70_000);
    v2amd = registry.image("org/app", null, 2, 3_000);
    v2arm = registry.image("org/app", null, 1, 5_000);
    v2 = registry.index("org/app", "1.1.0", v2amd, v2arm);
    v3 = registry.image("org/app", "2.0.0", 1, 1_000);
    chart1 = registry.image("org/charts/app", "1.0.0", 1, 900);
    registry.missing("org/charts/app", "1.1.0");
    ts = new TestTurnstile(dir, upstream.baseUrl());
    login = ts.license("app", "1.0.0", "1.1.0");
  }

  @AfterEach
  void stop() {
    ts.close();
  }

  private HttpResponse<byte[]> bundle(Login who, String query, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(ts.registryUrl() + "/bundles/" + who.username() + query))
        .header("Authorization", who.basic());
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  /** Every file of a tar archive, by name. */
  private static Map<String, byte[]> files(byte[] tar) throws IOException {
    Map<String, byte[]> out = new LinkedHashMap<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
      TarArchiveEntry e;
      while ((e = in.getNextEntry()) != null) {
        if (!e.isDirectory()) {
          out.put(e.getName(), in.readAllBytes());
        }
      }
    }
    return out;
  }

  private static String blobPath(String digest) {
    return "blobs/sha256/" + digest.substring("sha256:".length());
  }

  @Test
  void bundleOfTwoVersions_isAnOciLayoutOfEveryImagePlatformAndChart_withItsExactLength() throws Exception {
    HttpResponse<byte[]> r = bundle(login, "?version=1.0.0&version=1.1.0");
    assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
    assertThat(r.headers().firstValueAsLong("Content-Length").orElseThrow()).isEqualTo(r.body().length);
    assertThat(r.headers().firstValue("Accept-Ranges")).hasValue("bytes");
    assertThat(r.body().length % 512).isZero();
    Map<String, byte[]> files = files(r.body());
    assertThat(new String(files.get("oci-layout"), StandardCharsets.UTF_8)).contains("\"imageLayoutVersion\":\"1.0.0\"");
    Map<String, String> refs = new LinkedHashMap<>();
    for (JsonNode m : json.readTree(files.get("index.json")).get("manifests")) {
      refs.put(m.get("annotations").get("org.opencontainers.image.ref.name").asText(), m.get("digest").asText());
    }
    assertThat(refs).containsExactly(Map.entry("vendor/app:1.0.0", v1.digest()),
        Map.entry("charts/app:1.0.0", chart1.digest()), Map.entry("vendor/app:1.1.0", v2.digest()));
    // Every file under blobs/ is named by its content's digest, and every one a pull reaches is there.
    Set<String> expected = new HashSet<>();
    for (Image i : List.of(v1, v2, v2amd, v2arm, chart1)) {
      expected.add(blobPath(i.digest()));
      if (i.config() != null) {
        expected.add(blobPath(i.config()));
      }
      i.layers().forEach(l -> expected.add(blobPath(l)));
    }
    Set<String> blobs = new HashSet<>();
    files.forEach((name, data) -> {
      if (name.startsWith("blobs/")) {
        assertThat(blobPath(FakeRegistry.sha256(data))).isEqualTo(name);
        blobs.add(name);
      }
    });
    assertThat(blobs).isEqualTo(expected);
    JsonNode list = json.readTree(files.get("turnstile-bundle.json"));
    assertThat(list.get("license").asText()).isEqualTo(login.username());
    assertThat(list.get("versions").toString()).isEqualTo("[\"1.0.0\",\"1.1.0\"]");
    assertThat(files.keySet()).allMatch(
        n -> n.matches("oci-layout|index\\.json|turnstile-bundle\\.(json|jwt)|blobs/sha256/[a-f0-9]{64}"));

    HttpResponse<byte[]> head = http.send(HttpRequest.newBuilder(URI.create(ts.registryUrl() + "/bundles/"
        + login.username() + "?version=1.0.0&version=1.1.0")).header("Authorization", login.basic())
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.headers().firstValueAsLong("Content-Length").orElseThrow()).isEqualTo(r.body().length);
  }

  @Test
  void range_resumesACutDownloadAtAnyOffset_byteIdentical() throws Exception {
    byte[] whole = bundle(login, "?version=1.0.0&version=1.1.0").body();
    String etag = bundle(login, "?version=1.0.0&version=1.1.0").headers().firstValue("ETag").orElseThrow();
    long signed = dataOffset(whole, "turnstile-bundle.jwt");
    // In a header, in held bytes, on the signed list's header, inside its signature, just after it,
    // at 60 %, inside the biggest blob, and on the last byte.
    for (long at : List.of(100L, 1_600L, signed - 512, signed + 200, signed + 600, whole.length * 6L / 10,
        whole.length - 30_000L, whole.length - 1L)) {
      HttpResponse<byte[]> rest = bundle(login, "?version=1.0.0&version=1.1.0", "Range", "bytes=" + at + "-",
          "If-Range", etag);
      assertThat(rest.statusCode()).as("at " + at).isEqualTo(206);
      assertThat(rest.headers().firstValue("Content-Range")).hasValue("bytes " + at + "-" + (whole.length - 1) + "/" + whole.length);
      byte[] joined = new byte[whole.length];
      System.arraycopy(whole, 0, joined, 0, (int) at);
      System.arraycopy(rest.body(), 0, joined, (int) at, rest.body().length);
      assertThat(joined).as("resumed at " + at).isEqualTo(whole);
    }
    HttpResponse<byte[]> middle = bundle(login, "?version=1.0.0", "Range", "bytes=2000-2999");
    assertThat(middle.statusCode()).isEqualTo(206);
    assertThat(middle.body()).hasSize(1000);
    byte[] whole1 = bundle(login, "?version=1.0.0").body();
    assertThat(middle.body()).isEqualTo(java.util.Arrays.copyOfRange(whole1, 2000, 3000));
    assertThat(bundle(login, "?version=1.0.0", "Range", "bytes=" + whole1.length + "-").statusCode()).isEqualTo(416);
  }

  /** Where the data of the archive's entry {@code name} starts. */
  private static long dataOffset(byte[] tar, String name) {
    int at = 0;
    while (at + 512 <= tar.length && tar[at] != 0) {
      TarArchiveEntry e = new TarArchiveEntry(java.util.Arrays.copyOfRange(tar, at, at + 512));
      if (e.getName().equals(name)) {
        return at + 512;
      }
      at += 512 + (int) ((e.getSize() + 511) / 512 * 512);
    }
    throw new AssertionError(name + " is not in the archive");
  }

  @Test
  void manifestList_isSignedWithTheLicenseKey_andNamesEveryFileByDigest() throws Exception {
    HttpResponse<byte[]> r = bundle(login, "?version=1.0.0&version=1.1.0");
    Map<String, byte[]> files = files(r.body());
    com.nimbusds.jose.jwk.JWKSet keys = com.nimbusds.jose.jwk.JWKSet.parse(http.send(HttpRequest.newBuilder(
        URI.create(ts.registryUrl() + "/.well-known/license-keys.json")).build(),
        HttpResponse.BodyHandlers.ofString()).body());
    com.nimbusds.jose.JWSObject jws = com.nimbusds.jose.JWSObject.parse(
        new String(files.get("turnstile-bundle.jwt"), StandardCharsets.US_ASCII));
    assertThat(jws.getHeader().getType().getType()).isEqualTo("turnstile-bundle+jwt");
    assertThat(jws.getHeader().getAlgorithm().getName()).isEqualTo("ES256");
    com.nimbusds.jose.jwk.ECKey key = (com.nimbusds.jose.jwk.ECKey) keys.getKeyByKeyId(jws.getHeader().getKeyID());
    assertThat(jws.verify(new com.nimbusds.jose.crypto.ECDSAVerifier(key))).isTrue();
    assertThat(jws.getPayload().toBytes()).isEqualTo(files.get("turnstile-bundle.json"));
    JsonNode list = json.readTree(jws.getPayload().toBytes());
    assertThat(list.get("iss").asText()).isEqualTo("turnstile");
    assertThat(list.get("sub").asText()).isEqualTo(login.username());
    assertThat(list.get("index").get("digest").asText()).isEqualTo(FakeRegistry.sha256(files.get("index.json")));
    Map<String, Long> signed = new LinkedHashMap<>();
    list.get("blobs").forEach(b -> signed.put(blobPath(b.get("digest").asText()), b.get("size").asLong()));
    Map<String, Long> inTar = new LinkedHashMap<>();
    files.forEach((name, data) -> {
      if (name.startsWith("blobs/")) {
        inTar.put(name, (long) data.length);
      }
    });
    assertThat(signed).isEqualTo(new java.util.TreeMap<>(inTar));
    // The signed entry comes before any blob, so a resume past the first few kilobytes never re-renders it.
    assertThat(dataOffset(r.body(), "turnstile-bundle.jwt")).isLessThan(dataOffset(r.body(), signed.keySet().iterator().next()));
  }

  @Test
  void cliVerify_acceptsTheBundleOffline_andRefusesAnyChangedByteOrAnotherKey() throws Exception {
    byte[] whole = bundle(login, "?version=1.0.0&version=1.1.0").body();
    Path keys = dir.resolve("license-keys.json");
    java.nio.file.Files.writeString(keys, http.send(HttpRequest.newBuilder(
        URI.create(ts.registryUrl() + "/.well-known/license-keys.json")).build(),
        HttpResponse.BodyHandlers.ofString()).body());
    Path file = dir.resolve("bundle.tar");
    java.nio.file.Files.write(file, whole);

    CliRun ok = CliRun.of("bundle", "verify", file.toString(), "--keys", keys.toString());
    assertThat(ok.exit()).as(ok.err()).isZero();
    assertThat(ok.out()).contains("license:     " + login.username()).contains("versions:    1.0.0, 1.1.0")
        .contains("vendor/app").contains(v2.digest()).contains("charts/app");
    assertThat(ok.err()).contains("verified: " + file + " is signed by license-signing key");

    // One byte of a layer.
    byte[] blob = whole.clone();
    int layer = (int) dataOffset(whole, blobPath(v1.layers().get(1)));
    blob[layer + 1234] ^= 1;
    // One byte of the list beside the signature: 1.1.0 becomes 1.1.1.
    byte[] list = whole.clone();
    int at = (int) dataOffset(whole, "turnstile-bundle.json");
    String text = new String(whole, at, 200, StandardCharsets.ISO_8859_1);
    list[at + text.indexOf("1.1.0") + 4] = '1';
    // One byte of the signature.
    byte[] signature = whole.clone();
    signature[(int) dataOffset(whole, "turnstile-bundle.jwt") + files(whole).get("turnstile-bundle.jwt").length - 10] ^= 1;
    // One byte of index.json.
    byte[] index = whole.clone();
    index[(int) dataOffset(whole, "index.json") + 30] ^= 1;
    Map<byte[], String> tampered = Map.of(blob, "blobs/sha256/" + v1.layers().get(1).substring(7)
        + " does not match its digest", list, "differs from the list", signature, "does not verify with key",
        index, "index.json does not match");
    for (Map.Entry<byte[], String> t : tampered.entrySet()) {
      java.nio.file.Files.write(file, t.getKey());
      CliRun refused = CliRun.of("bundle", "verify", file.toString(), "--keys", keys.toString());
      assertThat(refused.exit()).as(refused.out()).isEqualTo(1);
      assertThat(refused.err()).contains(file + " does not verify: ").contains(t.getValue());
    }

    java.nio.file.Files.write(file, whole);
    Path otherKeys = dir.resolve("other-keys.json");
    java.nio.file.Files.writeString(otherKeys, new com.nimbusds.jose.jwk.JWKSet(
        io.turnstile.proxy.licensing.LicenseKeys.generate().toPublicJWK()).toString());
    CliRun wrongKey = CliRun.of("bundle", "verify", file.toString(), "--keys", otherKeys.toString());
    assertThat(wrongKey.exit()).isEqualTo(1);
    assertThat(wrongKey.err()).contains("does not verify: no key of the set has the id");
  }

  @Test
  void blobThatDoesNotMatchItsDigest_cutsTheDownloadShort() throws Exception {
    byte[] other = registry.bytes(70_000);
    upstream.stubFor(get(urlPathEqualTo("/v2/org/app/blobs/" + v1.layers().get(1)))
        .atPriority(1).willReturn(aResponse().withHeader("Content-Type", "application/octet-stream").withBody(other)));
    HttpRequest request = HttpRequest.newBuilder(URI.create(ts.registryUrl() + "/bundles/" + login.username()
        + "?version=1.0.0")).header("Authorization", login.basic()).build();
    assertThatThrownBy(() -> http.send(request, HttpResponse.BodyHandlers.ofByteArray())).isInstanceOf(IOException.class);
  }

  @Test
  void eachDownload_isInThePullAuditLog_asABundleWithItsVersionsBytesAndWhetherItCompleted() throws Exception {
    byte[] whole = bundle(login, "?version=1.0.0&version=1.1.0").body();
    bundle(login, "?version=1.0.0&version=1.1.0", "Range", "bytes=0-99");
    // A record is made once the last byte is written, which may be just after the client has it.
    List<JsonNode> bundles = new ArrayList<>();
    io.turnstile.store.testing.Eventually.until("both downloads recorded", () -> {
      bundles.clear();
      bundles.addAll(bundleRecords());
      return bundles.size() == 2;
    });
    assertThat(bundles).hasSize(2);
    JsonNode full = bundles.stream().filter(b -> b.get("blobBytes").asLong() == whole.length).findFirst().orElseThrow();
    assertThat(full.get("version").asText()).isEqualTo("1.0.0,1.1.0");
    assertThat(full.get("repository").asText()).isEqualTo("vendor/app,charts/app");
    assertThat(full.get("completed").asBoolean()).isTrue();
    assertThat(full.get("credential").asText()).isEqualTo("license");
    assertThat(bundles).anySatisfy(b -> assertThat(b.get("blobBytes").asLong()).isEqualTo(100));
  }

  @Test
  void vendorsCli_writesTheSameArchiveThroughTheAdminApi_andFinishesACutOne() throws Exception {
    byte[] whole = bundle(login, "?version=1.0.0&version=1.1.0").body();
    java.nio.file.Path token = dir.resolve("admin-token");
    java.nio.file.Files.writeString(token, TestTurnstile.ADMIN_TOKEN);
    java.nio.file.Path file = dir.resolve("app.tar");
    String[] cli = {"bundle", login.username(), "--version", "1.0.0", "--version", "1.1.0", "-o", file.toString(),
        "--admin-url", ts.adminUrl(), "--admin-token-file", token.toString()};
    assertThat(io.turnstile.proxy.Main.run(cli)).isZero();
    assertThat(java.nio.file.Files.readAllBytes(file)).isEqualTo(whole);
    // Cut at 60 %, then finished with --continue: byte-identical.
    java.nio.file.Files.write(file, java.util.Arrays.copyOf(whole, whole.length * 6 / 10));
    String[] resume = java.util.Arrays.copyOf(cli, cli.length + 1);
    resume[cli.length] = "--continue";
    assertThat(io.turnstile.proxy.Main.run(resume)).isZero();
    assertThat(java.nio.file.Files.readAllBytes(file)).isEqualTo(whole);
    HttpResponse<String> unknown = http.send(HttpRequest.newBuilder(URI.create(ts.adminUrl()
        + "/admin/v1/licenses/lic_unknown/bundle?version=1.0.0")).header("Authorization", "Bearer " + TestTurnstile.ADMIN_TOKEN)
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(unknown.statusCode()).isEqualTo(404);
    HttpResponse<String> noToken = http.send(HttpRequest.newBuilder(URI.create(ts.adminUrl() + "/admin/v1/licenses/"
        + login.username() + "/bundle?version=1.0.0")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(noToken.statusCode()).isEqualTo(401);
  }

  @Test
  void portal_offersEachVersionForOfflineInstall_andTheSignedInSessionDownloadsIt() throws Exception {
    io.turnstile.proxy.testing.Browser browser = new io.turnstile.proxy.testing.Browser(ts.registryUrl());
    String link = "/portal/bundles/" + login.username() + "?version=1.1.0";
    HttpResponse<byte[]> signedOut = browser.client().send(HttpRequest.newBuilder(URI.create(browser.base() + link))
        .build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(signedOut.statusCode()).isEqualTo(401);
    browser.get("/portal/sign-in");
    browser.post("/portal/sign-in", Map.of("username", login.username(), "key", login.key()));
    assertThat(browser.get("/portal/").body()).contains("href=\"" + link + "\"")
        .contains(">Download for offline install</a>");
    HttpResponse<byte[]> head = browser.client().send(HttpRequest.newBuilder(URI.create(browser.base() + link))
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofByteArray());
    HttpResponse<byte[]> download = browser.client().send(HttpRequest.newBuilder(URI.create(browser.base() + link))
        .build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(download.statusCode()).isEqualTo(200);
    assertThat(head.headers().firstValueAsLong("Content-Length").orElseThrow()).isEqualTo(download.body().length);
    assertThat(download.body()).isEqualTo(bundle(login, "?version=1.1.0").body());
  }

  @Test
  void aManifestNamingAPathInsteadOfADigest_isRefused_neverWrittenAsAPath() throws Exception {
    String evil = "{\"schemaVersion\":2,\"mediaType\":\"" + FakeRegistry.OCI_MANIFEST + "\",\"config\":{\"mediaType\":"
        + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:../../../../etc/cron.d/x\",\"size\":2},"
        + "\"layers\":[]}";
    registry.manifest("org/app", "1.2.0", evil.getBytes(StandardCharsets.UTF_8), FakeRegistry.OCI_MANIFEST);
    Login holder = ts.license("app", "1.2.0");
    HttpResponse<byte[]> r = bundle(holder, "?version=1.2.0");
    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(new String(r.body(), StandardCharsets.UTF_8)).contains("only sha256 is supported");
  }

  /** The pull audit log's bundle records of {@code login}'s license, newest first, once written. */
  private List<JsonNode> bundleRecords() throws Exception {
    assertThat(ts.server.pullAudit().flush(java.time.Duration.ofSeconds(10))).isTrue();
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(ts.adminUrl() + "/admin/v1/pulls?licenseId="
        + login.username())).header("Authorization", "Bearer " + TestTurnstile.ADMIN_TOKEN).build(),
        HttpResponse.BodyHandlers.ofString());
    List<JsonNode> out = new ArrayList<>();
    json.readTree(r.body()).get("pulls").forEach(p -> {
      if (p.get("kind").asText().equals("bundle")) {
        out.add(p);
      }
    });
    return out;
  }

  @Test
  void versionNotGranted_isRefusedWithThePullsMessage_beforeAnyUpstreamRead() throws Exception {
    upstream.resetRequests();
    HttpResponse<byte[]> r = bundle(login, "?version=1.0.0&version=2.0.0");
    assertThat(r.statusCode()).isEqualTo(403);
    JsonNode error = json.readTree(r.body()).get("errors").get(0);
    assertThat(error.get("code").asText()).isEqualTo("DENIED");
    assertThat(error.get("message").asText()).isEqualTo("your license does not grant tag 2.0.0 of vendor/app");
    assertThat(upstream.getAllServeEvents()).isEmpty();
  }

  @Test
  void bundle_holdsNoBlobOutsideTheGrant_andNoOtherLicense() throws Exception {
    Login other = ts.license("app", "2.0.0");
    Map<String, byte[]> files = files(bundle(login, "?version=1.0.0").body());
    List<String> outside = new ArrayList<>();
    outside.add(blobPath(v3.digest()));
    outside.add(blobPath(v3.config()));
    v3.layers().forEach(l -> outside.add(blobPath(l)));
    v2amd.layers().forEach(l -> outside.add(blobPath(l)));
    assertThat(files.keySet()).doesNotContainAnyElementsOf(outside);
    // Another customer's license id with one's own key: refused like any repository outside the grant.
    HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(ts.registryUrl() + "/bundles/"
        + other.username() + "?version=2.0.0")).header("Authorization", login.basic()).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(bundle(other, "?version=2.0.0").statusCode()).isEqualTo(200);
    HttpResponse<byte[]> anonymous = http.send(HttpRequest.newBuilder(URI.create(ts.registryUrl() + "/bundles/"
        + login.username() + "?version=1.0.0")).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(anonymous.statusCode()).isEqualTo(401);
  }
}
