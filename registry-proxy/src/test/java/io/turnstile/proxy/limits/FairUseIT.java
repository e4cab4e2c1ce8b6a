package io.turnstile.proxy.limits;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static io.turnstile.store.testing.Eventually.until;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.core.Options;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.turnstile.config.LimitConfig;
import io.turnstile.config.LimitsConfig;
import io.turnstile.proxy.testing.FakeRegistry;
import io.turnstile.proxy.testing.FakeRegistry.Image;
import io.turnstile.proxy.testing.TestTurnstile;
import io.turnstile.proxy.testing.WebhookReceiver;
import io.turnstile.store.testing.MutableClock;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fair-use limits through the real server: each limit enforced (a 429 naming the license, the
 * limit and the reset, with Retry-After) and watched (let through, with events and metrics); a
 * period's end resets the use; a blob under way when the limit is reached is sent whole; a
 * license's own limit overrides its application's.
 */
class FairUseIT {
  @RegisterExtension
  static WireMockExtension upstream = WireMockExtension.newInstance()
      .options(wireMockConfig().dynamicPort().useChunkedTransferEncoding(Options.ChunkedEncodingPolicy.ALWAYS))
      .build();

  private static final String WEBHOOKS_YAML = """
      webhooks:
        allowHttp: true
        allowAddresses: [127.0.0.0/8]
        retryBase: 50ms
        poll: 50ms
      """;

  @TempDir Path dir;
  private TestTurnstile ts;
  private TestTurnstile.Login login;
  private Image v100;
  private final MutableClock clock = new MutableClock(Instant.parse("2026-12-07T10:00:00Z"));
  private final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void stop() {
    if (ts != null) {
      ts.close();
    }
  }

  private void start(LimitsConfig limits) throws Exception {
    start(limits, "");
  }

  private void start(LimitsConfig limits, String extraYaml) throws Exception {
    FakeRegistry registry = new FakeRegistry(upstream);
    registry.unknownIsNotFound();
    v100 = registry.image("org/app", "1.0.0", 1, 3000);
    ts = TestTurnstile.withLimits(dir, upstream.baseUrl(), limits, clock, null, extraYaml);
    login = ts.license("app", "1.0.0");
  }

  private HttpResponse<byte[]> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(ts.registryUrl() + "/v2/vendor/app/" + path))
        .header("Authorization", login.basic()).header("Accept", FakeRegistry.OCI_MANIFEST)
        .header("User-Agent", "docker/27.0.3").build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private HttpResponse<byte[]> manifest() throws Exception {
    return get("manifests/1.0.0");
  }

  private HttpResponse<byte[]> layer() throws Exception {
    return get("blobs/" + v100.layers().get(0));
  }

  /** The license's use of {@code limit} as the admin API shows it, once it is {@code expected}. */
  private JsonNode awaitUse(String limit, long expected) throws Exception {
    JsonNode[] found = new JsonNode[1];
    until(limit + " used " + expected, () -> {
      TestTurnstile.Answer a = ts.admin("GET", "/admin/v1/licenses/" + login.username() + "/usage", null);
      assertThat(a.status()).as(a.raw()).isEqualTo(200);
      for (JsonNode l : a.body().get("limits")) {
        if (l.get("limit").asText().equals(limit) && l.get("used").asLong() == expected) {
          found[0] = a.body();
          return true;
        }
      }
      return false;
    });
    return found[0];
  }

  private static String message(HttpResponse<byte[]> r) throws Exception {
    return new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body()).get("errors").get(0).get("message")
        .asText();
  }

  private static LimitsConfig pulls(long n, String mode) {
    return new LimitsConfig(new LimitConfig(n, mode), null, null);
  }

  @Test
  void manifestPullsPerDay_enforced_refusesThePullAfterTheLimit_with429NamingLicenseLimitAndReset()
      throws Exception {
    start(pulls(2, "enforce"));
    assertThat(manifest().statusCode()).isEqualTo(200);
    assertThat(manifest().statusCode()).isEqualTo(200);
    awaitUse("manifestPullsPerDay", 2);

    HttpResponse<byte[]> refused = manifest();
    assertThat(refused.statusCode()).isEqualTo(429);
    assertThat(refused.headers().firstValue("Retry-After")).hasValue(Long.toString(14 * 3600));
    assertThat(new String(refused.body(), StandardCharsets.UTF_8)).contains("\"code\":\"TOOMANYREQUESTS\"");
    assertThat(message(refused)).isEqualTo("license " + login.username()
        + " has made its 2 manifest pulls for 2026-12-07; it resets on 2026-12-08");
    // A HEAD (docker's first question) is neither counted nor refused; the GET that follows is.
    HttpResponse<Void> head = http.send(HttpRequest.newBuilder(URI.create(ts.registryUrl()
            + "/v2/vendor/app/manifests/1.0.0")).method("HEAD", HttpRequest.BodyPublishers.noBody())
        .header("Authorization", login.basic()).header("Accept", FakeRegistry.OCI_MANIFEST).build(),
        HttpResponse.BodyHandlers.discarding());
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(metric("turnstile_limits_over_total{application=\"app\",limit=\"manifestPullsPerDay\",mode=\"enforce\"}"))
        .isEqualTo(1.0);
  }

  @Test
  void manifestPullsPerDay_watched_letsEveryPullThrough_andAnnouncesWarningAndReachedOnce() throws Exception {
    try (WebhookReceiver receiver = new WebhookReceiver()) {
      start(pulls(5, "watch"), WEBHOOKS_YAML);
      ts.admin("POST", "/admin/v1/webhooks", "{\"url\":\"" + receiver.url()
          + "\",\"events\":[\"license.limit_warning\",\"license.limit_reached\"]}");
      for (int i = 1; i <= 7; i++) {
        assertThat(manifest().statusCode()).as("pull " + i).isEqualTo(200);
        awaitUse("manifestPullsPerDay", i);
        ts.server.usage().flush();
      }
      until("the warning and the reached events", () -> receiver.received().size() >= 2);
      List<JsonNode> events = new ArrayList<>();
      for (WebhookReceiver.Received r : receiver.received()) {
        events.add(ts.json.readTree(r.body()));
      }
      assertThat(events).extracting(e -> e.get("type").asText())
          .containsExactly("license.limit_warning", "license.limit_reached");
      JsonNode reached = events.get(1).get("data");
      assertThat(reached.get("id").asText()).isEqualTo(login.username());
      assertThat(reached.get("limit").asText()).isEqualTo("manifestPullsPerDay");
      assertThat(reached.get("period").asText()).isEqualTo("2026-12-07");
      assertThat(reached.get("mode").asText()).isEqualTo("watch");
      assertThat(reached.get("used").asLong()).isEqualTo(5);
      assertThat(reached.get("amount").asLong()).isEqualTo(5);
      assertThat(events.get(0).get("data").get("used").asLong()).isEqualTo(4);
      assertThat(metric("turnstile_limits_over_total{application=\"app\",limit=\"manifestPullsPerDay\",mode=\"watch\"}"))
          .isEqualTo(2.0);
    }
  }

  @Test
  void blobBytesPerMonth_enforced_aBlobUnderWayFinishesWhole_thenManifestsAndNewBlobsAreRefused()
      throws Exception {
    start(new LimitsConfig(null, new LimitConfig(1000L, "enforce"), null));
    assertThat(manifest().statusCode()).isEqualTo(200);
    // The limit is reached in the middle of this 3000-byte layer: it is sent whole all the same.
    HttpResponse<byte[]> whole = layer();
    assertThat(whole.statusCode()).isEqualTo(200);
    assertThat(whole.body()).hasSize(3000);
    assertThat(FakeRegistry.sha256(whole.body())).isEqualTo(v100.layers().get(0));
    awaitUse("blobBytesPerMonth", 3000);

    HttpResponse<byte[]> blob = layer();
    assertThat(blob.statusCode()).isEqualTo(429);
    assertThat(message(blob)).isEqualTo("license " + login.username()
        + " has used its 1000 bytes for December; it resets on 2027-01-01");
    assertThat(manifest().statusCode()).as("a manifest pull after the limit").isEqualTo(429);
  }

  private HttpResponse<byte[]> bundle(String base, String path, String authorization) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(base + path + "?version=1.0.0"))
        .header("Authorization", authorization).header("User-Agent", "curl/8.14.1").build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void blobBytesPerMonth_countsABundlesBlobBytesAsPulledOnes_andRefusesTheNextBundleAsItRefusesAPull()
      throws Exception {
    start(new LimitsConfig(null, new LimitConfig(1000L, "enforce"), null));
    HttpResponse<byte[]> first = bundle(ts.registryUrl(), "/bundles/" + login.username(), login.basic());
    assertThat(first.statusCode()).isEqualTo(200);
    // Exactly the bytes a pull of the image's blobs counts (config and layer), not the tar around them.
    // Over HTTP/1.1: the JDK client otherwise offers WireMock an h2c upgrade, which now and then breaks.
    HttpResponse<byte[]> config = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
        .send(HttpRequest.newBuilder(URI.create(upstream.baseUrl() + "/v2/org/app/blobs/"
        + v100.config())).header("Authorization", TestTurnstile.basic(FakeRegistry.USER, FakeRegistry.PASSWORD))
        .build(), HttpResponse.BodyHandlers.ofByteArray());
    long blobBytes = config.body().length + 3000;
    assertThat(first.body().length).isGreaterThan((int) blobBytes);
    awaitUse("blobBytesPerMonth", blobBytes);

    HttpResponse<byte[]> second = bundle(ts.registryUrl(), "/bundles/" + login.username(), login.basic());
    HttpResponse<byte[]> pull = layer();
    assertThat(second.statusCode()).isEqualTo(429).isEqualTo(pull.statusCode());
    assertThat(message(second)).isEqualTo(message(pull)).isEqualTo("license " + login.username()
        + " has used its 1000 bytes for December; it resets on 2027-01-01");
    assertThat(second.headers().firstValue("Retry-After")).isPresent().isEqualTo(pull.headers().firstValue("Retry-After"));

    // The vendor's own download through the admin API is neither refused nor counted.
    HttpResponse<byte[]> vendor = bundle(ts.adminUrl(), "/admin/v1/licenses/" + login.username() + "/bundle",
        "Bearer " + TestTurnstile.ADMIN_TOKEN);
    assertThat(vendor.statusCode()).isEqualTo(200);
    assertThat(vendor.body()).isEqualTo(first.body());
    awaitUse("blobBytesPerMonth", blobBytes);
  }

  @Test
  void blobBytesPerMonth_watched_sendsEveryBlob() throws Exception {
    start(new LimitsConfig(null, new LimitConfig(1000L, "watch"), null));
    assertThat(manifest().statusCode()).isEqualTo(200);
    assertThat(layer().statusCode()).isEqualTo(200);
    awaitUse("blobBytesPerMonth", 3000);
    assertThat(layer().body()).hasSize(3000);
    awaitUse("blobBytesPerMonth", 6000);
  }

  /** A GET for the manifest sent from {@code from} (a loopback address), answered with its status. */
  private int manifestFrom(String from) throws Exception {
    try (Socket s = new Socket()) {
      s.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
      s.connect(new InetSocketAddress("127.0.0.1", ts.server.registryAddress().getPort()), 5000);
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(("GET /v2/vendor/app/manifests/1.0.0 HTTP/1.1\r\nHost: registry.test\r\nAuthorization: "
          + login.basic() + "\r\nAccept: " + FakeRegistry.OCI_MANIFEST + "\r\nUser-Agent: helm/3.15 from " + from
          + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      String status = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
      in.readAllBytes();
      return Integer.parseInt(status.substring(9, 12));
    }
  }

  @Test
  void addressesPerDay_enforced_refusesANewAddressPastTheLimit_whileKnownAddressesGoOn() throws Exception {
    start(new LimitsConfig(null, null, new LimitConfig(2L, "enforce")));
    assertThat(manifestFrom("127.0.0.1")).isEqualTo(200);
    assertThat(manifestFrom("127.0.0.2")).isEqualTo(200);
    assertThat(manifestFrom("127.0.0.3")).as("a third address").isEqualTo(429);
    assertThat(manifestFrom("127.0.0.1")).as("an address already counted").isEqualTo(200);
    ts.server.usage().flush();
    JsonNode use = awaitUse("addressesPerDay", 2);
    assertThat(use.get("addresses")).extracting(a -> a.get("address").asText())
        .containsExactlyInAnyOrder("127.0.0.1", "127.0.0.2");
    assertThat(use.get("addresses")).extracting(a -> a.get("userAgent").asText())
        .contains("helm/3.15 from 127.0.0.2");
  }

  @Test
  void addressesPerDay_watched_letsNewAddressesIn_andTheFleetViewListsTheJump() throws Exception {
    start(new LimitsConfig(null, null, new LimitConfig(2L, "watch")));
    for (String from : List.of("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4")) {
      assertThat(manifestFrom(from)).as(from).isEqualTo(200);
    }
    ts.server.usage().flush();
    TestTurnstile.Answer jumps = ts.admin("GET", "/admin/v1/fleet/address-jumps", null);
    assertThat(jumps.status()).as(jumps.raw()).isEqualTo(200);
    JsonNode lic = jumps.body().get("licenses").get(0);
    assertThat(lic.get("licenseId").asText()).isEqualTo(login.username());
    assertThat(lic.get("addressesToday").asLong()).isEqualTo(4);
    assertThat(lic.get("mode").asText()).isEqualTo("watch");
    assertThat(lic.get("addresses")).extracting(a -> a.get("userAgent").asText())
        .containsExactlyInAnyOrder("helm/3.15 from 127.0.0.1", "helm/3.15 from 127.0.0.2",
            "helm/3.15 from 127.0.0.3", "helm/3.15 from 127.0.0.4");
  }

  @Test
  void theUseResetsAtThePeriodsEnd_byTheInjectedClock() throws Exception {
    clock.advance(Duration.between(clock.instant(), Instant.parse("2026-12-31T23:59:30Z")));
    start(new LimitsConfig(new LimitConfig(1L, "enforce"), new LimitConfig(1000L, "enforce"), null));
    assertThat(manifest().statusCode()).isEqualTo(200);
    assertThat(layer().statusCode()).isEqualTo(200);
    awaitUse("blobBytesPerMonth", 3000);
    HttpResponse<byte[]> refused = manifest();
    assertThat(refused.statusCode()).isEqualTo(429);
    assertThat(refused.headers().firstValue("Retry-After")).hasValue("30");
    ts.server.usage().flush();

    clock.advance(Duration.ofSeconds(31));
    assertThat(manifest().statusCode()).as("a new day and a new month").isEqualTo(200);
    assertThat(layer().statusCode()).isEqualTo(200);
    ts.server.usage().flush();
    JsonNode use = awaitUse("blobBytesPerMonth", 3000);
    assertThat(use.get("limits").get(0).get("period").asText()).isEqualTo("2027-01-01");
    assertThat(use.get("limits").get(1).get("period").asText()).isEqualTo("2027-01");
  }

  @Test
  void aLicensesOwnLimit_overridesItsApplications_untilRemoved() throws Exception {
    start(pulls(100, "enforce"));
    TestTurnstile.Answer set = ts.admin("PUT", "/admin/v1/licenses/" + login.username() + "/limits/manifestPullsPerDay",
        "{\"limit\":1,\"mode\":\"enforce\"}");
    assertThat(set.status()).as(set.raw()).isEqualTo(200);
    assertThat(set.body().get("limits").get(0).get("source").asText()).isEqualTo("license");
    assertThat(manifest().statusCode()).isEqualTo(200);
    awaitUse("manifestPullsPerDay", 1);
    assertThat(manifest().statusCode()).isEqualTo(429);

    assertThat(ts.admin("DELETE", "/admin/v1/licenses/" + login.username() + "/limits/manifestPullsPerDay", null)
        .status()).isEqualTo(204);
    assertThat(manifest().statusCode()).as("the application's 100 again").isEqualTo(200);
    TestTurnstile.Answer bad = ts.admin("PUT", "/admin/v1/licenses/" + login.username() + "/limits/manifestPullsPerDay",
        "{\"limit\":0}");
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.raw()).contains("at least 1");
    assertThat(ts.admin("PUT", "/admin/v1/licenses/" + login.username() + "/limits/perFortnight", "{\"limit\":1}")
        .status()).isEqualTo(404);
  }

  @Test
  void theCli_setsShowsAndRemovesALicensesOwnLimit() throws Exception {
    start(new LimitsConfig(null, new LimitConfig(50L << 30, "enforce"), null));
    String set = cli("license", "limit", login.username(), "manifestPullsPerDay", "100", "--mode", "watch");
    assertThat(set).contains("manifestPullsPerDay", "100", "watch", "license", "blobBytesPerMonth",
        Long.toString(50L << 30), "application");
    assertThat(cli("license", "limit", login.username(), "blobBytesPerMonth", "1GiB"))
        .contains(Long.toString(1L << 30));
    JsonNode json = ts.json.readTree(cli("license", "usage", login.username(), "-o", "json"));
    assertThat(json.get("limits")).extracting(l -> l.get("source").asText()).containsOnly("license");
    String removed = cli("license", "limit", login.username(), "manifestPullsPerDay", "--remove");
    assertThat(removed).doesNotContain("manifestPullsPerDay");
  }

  @Test
  void theConsoleAndThePortal_showTheUse_andTheConsoleSetsTheLicensesOwnLimit() throws Exception {
    start(new LimitsConfig(new LimitConfig(10L, "enforce"), new LimitConfig(50L << 30, "watch"), null));
    assertThat(manifest().statusCode()).isEqualTo(200);
    assertThat(layer().statusCode()).isEqualTo(200);
    awaitUse("blobBytesPerMonth", 3000);
    awaitUse("manifestPullsPerDay", 1);

    io.turnstile.proxy.testing.Browser console = new io.turnstile.proxy.testing.Browser(ts.adminUrl());
    console.get("/console/sign-in");
    assertThat(console.post("/console/sign-in", java.util.Map.of("token", TestTurnstile.ADMIN_TOKEN)).statusCode())
        .isEqualTo(303);
    String page = console.get("/console/licenses/" + login.username()).body();
    assertThat(page).contains("Fair use", "manifest pulls per day", "blob bytes per month", "50 GiB", "2.9 KiB",
        "2026-12-08", "2027-01-01", "watch", "the application");
    HttpResponse<String> set = console.post("/console/licenses/" + login.username() + "/limits",
        java.util.Map.of("limit", "manifestPullsPerDay", "amount", "1", "mode", "enforce"));
    assertThat(set.statusCode()).as(set.body()).isEqualTo(303);
    assertThat(console.get("/console/licenses/" + login.username()).body()).contains("this license");
    assertThat(manifest().statusCode()).as("the console's limit of 1, used").isEqualTo(429);

    io.turnstile.proxy.testing.Browser portal = new io.turnstile.proxy.testing.Browser(ts.registryUrl());
    portal.get("/portal/sign-in");
    assertThat(portal.post("/portal/sign-in", java.util.Map.of("username", login.username(), "key", login.key()))
        .statusCode()).isEqualTo(303);
    String mine = portal.get("/portal/").body();
    assertThat(mine).contains("Your use", "manifest pulls per day", "blob bytes per month (watched)", "50 GiB",
        "2.9 KiB", "2027-01-01").doesNotContain(login.key());
  }

  private String cli(String... args) throws Exception {
    Path tokenFile = dir.resolve("admin-token");
    java.nio.file.Files.writeString(tokenFile, TestTurnstile.ADMIN_TOKEN);
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--admin-url", ts.adminUrl(), "--admin-token-file", tokenFile.toString()));
    java.io.PrintStream out = System.out;
    java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream();
    synchronized (FairUseIT.class) {
      try {
        System.setOut(new java.io.PrintStream(o, true, StandardCharsets.UTF_8));
        assertThat(io.turnstile.proxy.Main.run(all.toArray(String[]::new))).as(o.toString(StandardCharsets.UTF_8))
            .isZero();
      } finally {
        System.setOut(out);
      }
    }
    return o.toString(StandardCharsets.UTF_8);
  }

  private double metric(String line) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(ts.adminUrl() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
    for (String l : r.body().split("\n")) {
      if (l.startsWith(line + " ")) {
        return Double.parseDouble(l.substring(line.length() + 1).trim());
      }
    }
    return 0;
  }
}
