package io.turnstile.proxy.audit;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static io.turnstile.store.testing.Eventually.until;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.core.Options;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.turnstile.proxy.Main;
import io.turnstile.proxy.testing.FakeRegistry;
import io.turnstile.proxy.testing.FakeRegistry.Image;
import io.turnstile.proxy.testing.TestTurnstile;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pull audit log through the real server: a manifest GET answered 200 leaves one record with
 * the right fields, anything else none; the admin API pages it as JSON and streams it as CSV; the
 * CLI shows it; license and customer views summarise it.
 */
class PullAuditIT {
  @RegisterExtension
  static WireMockExtension upstream = WireMockExtension.newInstance()
      .options(wireMockConfig().dynamicPort().useChunkedTransferEncoding(Options.ChunkedEncodingPolicy.ALWAYS))
      .build();

  @TempDir Path dir;
  private TestTurnstile ts;
  private final HttpClient http = HttpClient.newHttpClient();
  private TestTurnstile.Login login;
  private Image v100;
  private Image v110;

  @BeforeEach
  void start() throws Exception {
    FakeRegistry registry = new FakeRegistry(upstream);
    v100 = registry.image("org/app", "1.0.0", 1, 500);
    v110 = registry.image("org/app", "1.1.0", 1, 500);
    registry.image("org/app", "2.0.0", 1, 500);
    // A window far longer than any test, so that a record is open until the test closes it.
    ts = new TestTurnstile(dir, upstream.baseUrl(), "", true, "audit:\n  pullWindow: 10m\n");
    login = ts.license("app", "1.0.0", "1.1.0", "3.0.0");
  }

  @AfterEach
  void stop() {
    ts.close();
  }

  private int get(String method, String path, String authorization, String userAgent) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(ts.registryUrl() + path))
        .method(method, HttpRequest.BodyPublishers.noBody())
        .header("Authorization", authorization)
        .header("Accept", FakeRegistry.OCI_MANIFEST);
    if (userAgent != null) {
      b.header("User-Agent", userAgent);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private int pull(String reference) throws Exception {
    return get("GET", "/v2/vendor/app/manifests/" + reference, login.basic(), "docker/27.0.3 go/go1.22");
  }

  /**
   * The records, newest first, once {@code expected} of them are there. A pull is
   * recorded when its answer has been written, which a client can see a moment before.
   */
  private List<JsonNode> records(String query, int expected) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    until(expected + " pull records for \"" + query + "\"", () -> {
      assertThat(ts.server.pullAudit().flush(Duration.ofSeconds(10))).isTrue();
      TestTurnstile.Answer a = ts.admin("GET", "/admin/v1/pulls" + query, null);
      assertThat(a.status()).as(a.raw()).isEqualTo(200);
      out.clear();
      a.body().get("pulls").forEach(out::add);
      return out.size() >= expected;
    });
    return out;
  }

  @Test
  void aTagPulledAsDockerDoes_isOneRecordWithItsTag_writtenWhileItsBlobsAreStillCounted() throws Exception {
    FakeRegistry registry = new FakeRegistry(upstream);
    Image amd64 = registry.image("org/app", null, 1, 300);
    Image arm64 = registry.image("org/app", null, 1, 300);
    Image index = registry.index("org/app", "3.0.0", amd64, arm64);
    String accept = FakeRegistry.OCI_INDEX + ", " + FakeRegistry.OCI_MANIFEST;
    // docker pull vendor/app:3.0.0: HEAD by tag, the index by digest, its platform manifest by digest, a layer.
    for (String[] call : new String[][] {{"HEAD", "manifests/3.0.0"}, {"GET", "manifests/" + index.digest()},
        {"GET", "manifests/" + amd64.digest()}, {"GET", "blobs/" + amd64.layers().get(0)}}) {
      HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(ts.registryUrl() + "/v2/vendor/app/" + call[1]))
          .method(call[0], HttpRequest.BodyPublishers.noBody()).header("Authorization", login.basic())
          .header("Accept", accept).header("User-Agent", "docker/27.0.3").build(), HttpResponse.BodyHandlers.discarding());
      assertThat(r.statusCode()).as(call[0] + " " + call[1]).isEqualTo(200);
    }
    // No flush: the record is in the log while its window is still open for more blobs.
    List<JsonNode> rows = new ArrayList<>();
    until("the pull's record, before its window closes", () -> {
      rows.clear();
      ts.admin("GET", "/admin/v1/pulls", null).body().get("pulls").forEach(rows::add);
      return !rows.isEmpty();
    });
    assertThat(ts.server.pullAudit().stats().open()).as("the pull's window is still open").isEqualTo(1);
    assertThat(rows).hasSize(1);
    assertThat(rows.get(0).get("tag").asText()).isEqualTo("3.0.0");
    assertThat(rows.get(0).get("version").asText()).isEqualTo("3.0.0");
    assertThat(rows.get(0).get("digest").asText()).isEqualTo(index.digest());
    // Closing the window completes the same record with the layer's bytes; the platform manifest added no row.
    assertThat(ts.server.pullAudit().flush(Duration.ofSeconds(10))).isTrue();
    List<JsonNode> done = records("", 1);
    assertThat(done).hasSize(1);
    assertThat(done.get(0).get("blobBytes").asLong()).isEqualTo(300);
  }

  /** Waits until {@code n} records are written. */
  private void awaitRecords(int n) throws Exception {
    assertThat(records("", n)).hasSize(n);
  }

  private String csv(String query, String accept) throws Exception {
    assertThat(ts.server.pullAudit().flush(Duration.ofSeconds(10))).isTrue();
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(ts.adminUrl() + "/admin/v1/pulls" + query))
        .header("Authorization", "Bearer " + TestTurnstile.ADMIN_TOKEN);
    if (accept != null) {
      b.header("Accept", accept);
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/csv"));
    return r.body();
  }

  @Test
  void manifestGetByTag_withBasicCredentials_isRecordedWithEveryField_andNoKey() throws Exception {
    assertThat(pull("1.0.0")).isEqualTo(200);

    List<JsonNode> pulls = records("", 1);
    assertThat(pulls).hasSize(1);
    JsonNode p = pulls.get(0);
    assertThat(p.get("licenseId").asText()).isEqualTo(login.username());
    assertThat(p.get("customerId").asText()).isEqualTo(login.customer());
    assertThat(p.get("credential").asText()).isEqualTo("license");
    assertThat(p.get("application").asText()).isEqualTo("app");
    assertThat(p.get("repository").asText()).isEqualTo("vendor/app");
    assertThat(p.get("tag").asText()).isEqualTo("1.0.0");
    assertThat(p.get("version").asText()).isEqualTo("1.0.0");
    assertThat(p.get("digest").asText()).isEqualTo(v100.digest());
    assertThat(p.get("clientAddress").asText()).isEqualTo("127.0.0.1");
    assertThat(p.get("userAgent").asText()).isEqualTo("docker/27.0.3 go/go1.22");
    assertThat(Duration.between(java.time.Instant.parse(p.get("at").asText()), java.time.Instant.now()))
        .isLessThan(Duration.ofMinutes(1));
    assertThat(ts.admin("GET", "/admin/v1/pulls", null).raw()).doesNotContain(login.key());
  }

  @Test
  void manifestGetByDigest_recordsTheVersionOfTheGrantedTagThatReachesIt() throws Exception {
    assertThat(pull(v110.digest())).isEqualTo(200);
    JsonNode p = records("", 1).get(0);
    assertThat(p.get("tag").isNull()).isTrue();
    assertThat(p.get("version").asText()).isEqualTo("1.1.0");
    assertThat(p.get("digest").asText()).isEqualTo(v110.digest());
  }

  @Test
  void aCustomerKeyPull_recordsTheCustomerKeyKind_andTheLicenseThatGrantedIt() throws Exception {
    JsonNode key = ts.admin("POST", "/admin/v1/customers/" + login.customer() + "/keys", null).body();
    String basic = TestTurnstile.basic(key.get("username").asText(), key.get("key").asText());
    assertThat(get("GET", "/v2/vendor/app/manifests/1.1.0", basic, null)).isEqualTo(200);
    JsonNode p = records("", 1).get(0);
    assertThat(p.get("credential").asText()).isEqualTo("customer");
    assertThat(p.get("licenseId").asText()).isEqualTo(login.username());
    assertThat(p.get("customerId").asText()).isEqualTo(login.customer());
    assertThat(p.get("userAgent").asText()).as("the JDK client's own").startsWith("Java-http-client");
  }

  @Test
  void deniedFailedUnauthenticatedAndHeadRequests_writeNoRecord() throws Exception {
    assertThat(pull("2.0.0")).as("a version the license lacks").isEqualTo(403);
    assertThat(pull("3.0.0")).as("granted, but the upstream has no such tag").isGreaterThanOrEqualTo(400);
    assertThat(get("GET", "/v2/vendor/app/manifests/1.0.0", TestTurnstile.basic(login.username(), "tsk_wrong"), null))
        .isEqualTo(401);
    assertThat(get("HEAD", "/v2/vendor/app/manifests/1.0.0", login.basic(), null)).isEqualTo(200);
    assertThat(get("GET", "/v2/vendor/app/blobs/" + v100.layers().get(0), login.basic(), null)).isEqualTo(200);
    assertThat(pull("1.1.0")).isEqualTo(200);
    assertThat(records("", 1)).extracting(p -> p.get("tag").asText()).containsExactly("1.1.0");
  }

  @Test
  void theBlobsPulledAfterAManifest_areCountedWithItsRecord() throws Exception {
    assertThat(pull("1.0.0")).isEqualTo(200);
    long bytes = 0;
    for (String blob : List.of(v100.config(), v100.layers().get(0))) {
      HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(ts.registryUrl() + "/v2/vendor/app/blobs/" + blob))
          .header("Authorization", login.basic()).build(), HttpResponse.BodyHandlers.ofByteArray());
      assertThat(r.statusCode()).isEqualTo(200);
      bytes += r.body().length;
    }
    assertThat(pull("1.1.0")).as("the next manifest closes the first record").isEqualTo(200);

    List<JsonNode> pulls = records("", 2);
    assertThat(pulls).extracting(p -> p.get("tag").asText() + "=" + p.get("blobBytes").asLong())
        .containsExactly("1.1.0=0", "1.0.0=" + bytes);
  }

  @Test
  void jsonPages_runNewestFirst_throughTheCursor_andFiltersApply() throws Exception {
    for (String tag : List.of("1.0.0", "1.1.0", "1.0.0", "1.1.0", "1.0.0")) {
      assertThat(pull(tag)).isEqualTo(200);
    }
    TestTurnstile.Login other = ts.license("app", "1.0.0");
    assertThat(get("GET", "/v2/vendor/app/manifests/1.0.0", other.basic(), null)).isEqualTo(200);
    awaitRecords(6);

    List<JsonNode> all = new ArrayList<>();
    String next = null;
    int pages = 0;
    do {
      assertThat(ts.server.pullAudit().flush(Duration.ofSeconds(10))).isTrue();
      JsonNode page = ts.admin("GET", "/admin/v1/pulls?limit=2&licenseId=" + login.username()
          + (next == null ? "" : "&cursor=" + next), null).body();
      page.get("pulls").forEach(all::add);
      next = page.get("next").isNull() ? null : page.get("next").asText();
      pages++;
    } while (next != null);
    assertThat(pages).isEqualTo(3);
    assertThat(all).extracting(p -> p.get("tag").asText()).containsExactly("1.0.0", "1.1.0", "1.0.0", "1.1.0", "1.0.0");
    assertThat(records("?customerId=" + other.customer(), 1)).extracting(p -> p.get("licenseId").asText())
        .containsExactly(other.username());
    assertThat(records("?since=2000-01-01&until=2001-01-01", 0)).isEmpty();

    TestTurnstile.Answer bad = ts.admin("GET", "/admin/v1/pulls?cursor=nonsense", null);
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.body().get("field").asText()).isEqualTo("cursor");
    assertThat(ts.admin("GET", "/admin/v1/pulls?since=yesterday", null).body().get("field").asText()).isEqualTo("since");
  }

  @Test
  void csv_streamsEveryRecord_withProperQuoting_byAcceptOrFormat() throws Exception {
    assertThat(get("GET", "/v2/vendor/app/manifests/1.0.0", login.basic(), "Tool \"x\", v1")).isEqualTo(200);
    assertThat(get("GET", "/v2/vendor/app/manifests/1.1.0", login.basic(), "=HYPERLINK(\"http://evil\")")).isEqualTo(200);
    awaitRecords(2);

    String byAccept = csv("", "text/csv");
    String[] lines = byAccept.split("\r\n");
    assertThat(lines[0]).isEqualTo(
        "at,licenseId,customerId,credential,application,repository,tag,version,digest,clientAddress,userAgent,blobBytes,count,tokenId,kind,completed");
    assertThat(lines).hasSize(3);
    assertThat(lines[1]).contains(",1.1.0,1.1.0,").endsWith(",\"'=HYPERLINK(\"\"http://evil\"\")\",0,1,,pull,");
    assertThat(lines[2]).contains("," + login.username() + "," + login.customer() + ",license,app,vendor/app,1.0.0,")
        .endsWith(",\"Tool \"\"x\"\", v1\",0,1,,pull,");
    assertThat(csv("?format=csv", null)).isEqualTo(byAccept);
    assertThat(csv("?format=csv&limit=1", null).split("\r\n")).hasSize(2);
  }

  @Test
  void licenseAndCustomerViews_showTheLastPullAndTheVersionsPulledIn30Days() throws Exception {
    JsonNode before = ts.admin("GET", "/admin/v1/licenses/" + login.username(), null).body().get("pulls");
    assertThat(before.get("last").isNull()).isTrue();
    assertThat(before.get("versions30d")).isEmpty();

    assertThat(pull("1.0.0")).isEqualTo(200);
    assertThat(pull("1.1.0")).isEqualTo(200);
    assertThat(pull(v100.digest())).isEqualTo(200);
    awaitRecords(3);

    for (String path : List.of("/admin/v1/licenses/" + login.username(), "/admin/v1/customers/" + login.customer())) {
      JsonNode pulls = ts.admin("GET", path, null).body().get("pulls");
      assertThat(pulls.get("last").isNull()).as(path).isFalse();
      assertThat(pulls.get("versions30d")).extracting(v -> v.get("application").asText() + " " + v.get("version").asText())
          .as(path).containsExactly("app 1.0.0", "app 1.1.0");
    }
  }

  @Test
  void theCli_showsThePulls_asATable_json_andCsv() throws Exception {
    assertThat(pull("1.0.0")).isEqualTo(200);
    awaitRecords(1);

    String table = cli("pulls", "--license", login.username());
    assertThat(table.lines().findFirst().orElseThrow()).startsWith("TIME").contains("LICENSE", "TAG", "VERSION");
    assertThat(table).contains(login.username(), "vendor/app", "1.0.0", v100.digest().substring(0, 19));

    JsonNode json = ts.json.readTree(cli("pulls", "--customer", login.customer(), "--since", "2020-01-01", "-o", "json"));
    assertThat(json.get("pulls")).hasSize(1);

    assertThat(cli("pulls", "-o", "csv").split("\r\n")).hasSize(2);
    assertThat(cli("license", "show", login.username())).contains("last pull: ", "VERSION PULLED (30 DAYS)");
    assertThat(cli("customer", "show", login.customer())).contains("last pull: ");
  }

  @Test
  void withTheAuditLogOff_pullsWorkAndNothingIsRecorded(@TempDir Path other) throws Exception {
    try (TestTurnstile off = new TestTurnstile(other, upstream.baseUrl(), "", true, "audit:\n  enabled: false")) {
      TestTurnstile.Login l = off.license("app", "1.0.0");
      int status = http.send(HttpRequest.newBuilder(URI.create(off.registryUrl() + "/v2/vendor/app/manifests/1.0.0"))
          .header("Authorization", l.basic()).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
      assertThat(status).isEqualTo(200);
      assertThat(off.server.pullAudit()).isNull();
      assertThat(off.admin("GET", "/admin/v1/pulls", null).body().get("pulls")).isEmpty();
    }
  }

  private String cli(String... args) throws Exception {
    Path tokenFile = dir.resolve("admin-token");
    Files.writeString(tokenFile, TestTurnstile.ADMIN_TOKEN);
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--admin-url", ts.adminUrl(), "--admin-token-file", tokenFile.toString()));
    PrintStream out = System.out;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    synchronized (PullAuditIT.class) {
      try {
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        assertThat(Main.run(all.toArray(String[]::new))).as(o.toString(StandardCharsets.UTF_8)).isZero();
      } finally {
        System.setOut(out);
      }
    }
    return o.toString(StandardCharsets.UTF_8);
  }
}
