package io.turnstile.proxy.access;

import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.headRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static io.turnstile.store.testing.Eventually.until;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.core.Options;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.turnstile.proxy.testing.FakeRegistry;
import io.turnstile.proxy.testing.FakeRegistry.Image;
import io.turnstile.proxy.testing.TestTurnstile;
import io.turnstile.proxy.testing.TestTurnstile.Answer;
import io.turnstile.proxy.testing.TestTurnstile.Login;
import io.turnstile.store.TagsSeen;
import io.turnstile.store.testing.Eventually;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Licenses that grant by range, every version, or what was released before expiry, against a WireMock upstream. */
class RangeGrantsIT {
  @RegisterExtension
  static WireMockExtension upstream = WireMockExtension.newInstance()
      .options(wireMockConfig().dynamicPort().useChunkedTransferEncoding(Options.ChunkedEncodingPolicy.ALWAYS))
      .build();

  @TempDir Path dir;
  private TestTurnstile ts;
  private FakeRegistry registry;
  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();
  private final List<String> tags = new ArrayList<>(List.of("1.9.0", "2.4.0", "2.4.1", "2.5.0-rc.1", "3.0.0", "latest"));
  private Image v241;
  private Image v300;
  private Image rc;
  private Login line;
  private Login exact;

  @BeforeEach
  void start() throws Exception {
    registry = new FakeRegistry(upstream);
    registry.image("org/app", "1.9.0", 1, 500);
    registry.image("org/app", "2.4.0", 1, 500);
    v241 = registry.image("org/app", "2.4.1", 2, 500);
    rc = registry.image("org/app", "2.5.0-rc.1", 1, 500);
    v300 = registry.image("org/app", "3.0.0", 2, 500);
    registry.image("org/app", "latest", 1, 500);
    registry.tags("org/app", tags.toArray(String[]::new));
    ts = new TestTurnstile(dir, upstream.baseUrl());
    line = license("\"ranges\":[\"2.x\"]");
    exact = license("\"versions\":[\"2.4.0\"]");
  }

  @AfterEach
  void stop() {
    ts.close();
  }

  private Login license(String grants) throws Exception {
    String customer = ts.admin("POST", "/admin/v1/customers", "{\"name\":\"Acme\"}").body().get("id").asText();
    Answer a = ts.admin("POST", "/admin/v1/licenses",
        "{\"customerId\":\"" + customer + "\",\"application\":\"app\"," + grants + "}");
    assertThat(a.status()).as(a.raw()).isEqualTo(201);
    return new Login(customer, a.body().get("id").asText(), a.body().get("key").asText());
  }

  private HttpResponse<byte[]> pull(Login who, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(ts.registryUrl() + path))
        .header("Authorization", who.basic()).header("Accept", FakeRegistry.OCI_MANIFEST).build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  private List<String> tagList(Login who) throws Exception {
    HttpResponse<byte[]> r = pull(who, "/v2/vendor/app/tags/list");
    assertThat(r.statusCode()).isEqualTo(200);
    List<String> out = new ArrayList<>();
    json.readTree(r.body()).get("tags").forEach(t -> out.add(t.asText()));
    return out;
  }

  /** Pushes {@code tag} upstream: its image, and the tag in the list. */
  private Image release(String tag) {
    Image image = registry.image("org/app", tag, 2, 500);
    tags.add(tag);
    registry.tags("org/app", tags.toArray(String[]::new));
    return image;
  }

  @Test
  void manifestByTag_insideTheRange_isServed_outsideIsDeniedWithoutAskingTheUpstream() throws Exception {
    HttpResponse<byte[]> r = pull(line, "/v2/vendor/app/manifests/2.4.1");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(v241.manifest());
    upstream.resetRequests();
    for (String tag : List.of("3.0.0", "1.9.0", "2.5.0-rc.1", "latest")) {
      HttpResponse<byte[]> denied = pull(line, "/v2/vendor/app/manifests/" + tag);
      assertThat(denied.statusCode()).as(tag).isEqualTo(403);
      assertThat(json.readTree(denied.body()).get("errors").get(0).get("code").asText()).isEqualTo("DENIED");
    }
    upstream.verify(0, anyRequestedFor(urlPathMatching(".*/manifests/.*")));
  }

  @Test
  void digestsAndBlobs_reachableFromATagInTheRange_areServed_othersDenied() throws Exception {
    assertThat(pull(line, "/v2/vendor/app/manifests/" + v241.digest()).statusCode()).isEqualTo(200);
    HttpResponse<byte[]> blob = pull(line, "/v2/vendor/app/blobs/" + v241.layers().get(1));
    assertThat(blob.statusCode()).isEqualTo(200);
    assertThat(FakeRegistry.sha256(blob.body())).isEqualTo(v241.layers().get(1));
    assertThat(pull(line, "/v2/vendor/app/manifests/" + v300.digest()).statusCode()).isEqualTo(403);
    assertThat(pull(line, "/v2/vendor/app/blobs/" + v300.layers().get(1)).statusCode()).isEqualTo(403);
    assertThat(pull(line, "/v2/vendor/app/blobs/" + rc.layers().get(0)).statusCode()).as("a pre-release").isEqualTo(403);
    assertThat(pull(exact, "/v2/vendor/app/blobs/" + v241.layers().get(1)).statusCode()).isEqualTo(403);
  }

  @Test
  void tagList_forA2xGrant_listsExactlyTheUpstreams2Tags() throws Exception {
    assertThat(tagList(line)).containsExactly("2.4.0", "2.4.1");
    assertThat(tagList(exact)).containsExactly("2.4.0");
    Login pre = license("\"ranges\":[{\"range\":\"2.x\",\"includePrerelease\":true}]");
    assertThat(tagList(pre)).containsExactly("2.4.0", "2.4.1", "2.5.0-rc.1");
    Login all = license("\"ranges\":[\"*\"]");
    assertThat(tagList(all)).containsExactly("1.9.0", "2.4.0", "2.4.1", "2.5.0-rc.1", "3.0.0", "latest");
  }

  @Test
  void catalog_listsTheRepositoriesOfARangeLicense() throws Exception {
    JsonNode c = json.readTree(pull(line, "/v2/_catalog").body());
    assertThat(c.get("repositories")).extracting(JsonNode::asText).containsExactly("charts/app", "vendor/app");
  }

  @Test
  void aNewPatchRelease_isPullableUnderTheRangeAtOnce_butNotUnderAnExactVersion() throws Exception {
    assertThat(tagList(line)).containsExactly("2.4.0", "2.4.1");
    assertThat(pull(line, "/v2/vendor/app/blobs/" + v241.layers().get(0)).statusCode()).isEqualTo(200);

    Image v242 = release("2.4.2");
    assertThat(pull(line, "/v2/vendor/app/manifests/2.4.2").statusCode()).isEqualTo(200);
    assertThat(pull(line, "/v2/vendor/app/blobs/" + v242.layers().get(1)).statusCode())
        .as("the tag pulled joins the tag list remembered from before").isEqualTo(200);
    assertThat(tagList(line)).containsExactly("2.4.0", "2.4.1", "2.4.2");
    assertThat(pull(exact, "/v2/vendor/app/manifests/2.4.2").statusCode()).isEqualTo(403);
    assertThat(pull(exact, "/v2/vendor/app/blobs/" + v242.layers().get(1)).statusCode()).isEqualTo(403);
  }

  @Test
  void aVersionAskedForBeforeItsRelease_isPullableWithinTwoSecondsOfThePush_byTagAndUnderARange() throws Exception {
    Login ahead = license("\"versions\":[\"2.6.0\"]");
    registry.missing("org/app", "2.6.0");
    long asked = System.nanoTime();
    for (Login who : List.of(line, ahead)) {
      assertThat(pull(who, "/v2/vendor/app/manifests/2.6.0").statusCode()).as("not released yet").isEqualTo(404);
    }
    // A flood of pulls of the missing tag asks the upstream about once a second, not once a pull: a
    // miss is remembered for a second, so the HEADs are at least a second apart.
    for (int i = 0; i < 40; i++) {
      assertThat(pull(line, "/v2/vendor/app/manifests/2.6.0").statusCode()).isEqualTo(404);
    }
    long millis = Duration.ofNanos(System.nanoTime() - asked).toMillis();
    assertThat(upstream.findAll(headRequestedFor(urlPathEqualTo("/v2/org/app/manifests/2.6.0"))).size())
        .as("upstream HEADs of the missing tag in %d ms of pulls", millis).isLessThanOrEqualTo((int) (millis / 1000) + 2);

    Image v260 = release("2.6.0");
    long pushed = System.nanoTime();
    for (Login who : List.of(line, ahead)) {
      long deadline = pushed + Duration.ofSeconds(30).toNanos();
      HttpResponse<byte[]> r = pull(who, "/v2/vendor/app/manifests/2.6.0");
      while (r.statusCode() == 404 && System.nanoTime() < deadline) {
        Thread.sleep(50);
        r = pull(who, "/v2/vendor/app/manifests/2.6.0");
      }
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo(v260.manifest());
      Duration took = Duration.ofNanos(System.nanoTime() - pushed);
      assertThat(took).as("pullable %d ms after the push", took.toMillis()).isLessThan(Duration.ofSeconds(2));
    }
  }

  @Test
  void aNewRelease_pulledByDigestFirst_isFoundInAFreshTagList() throws Exception {
    assertThat(pull(line, "/v2/vendor/app/blobs/" + v241.layers().get(0)).statusCode()).isEqualTo(200);
    Image v243 = release("2.4.3");
    Thread.sleep(TagLists.MIN_AGE.toMillis() + 100);
    assertThat(pull(line, "/v2/vendor/app/manifests/" + v243.digest()).statusCode()).isEqualTo(200);
    assertThat(pull(line, "/v2/vendor/app/blobs/" + v300.layers().get(0)).statusCode()).isEqualTo(403);
  }

  @Test
  void changingTheRange_takesEffectOnTheNextRequest() throws Exception {
    assertThat(pull(line, "/v2/vendor/app/manifests/2.4.1").statusCode()).isEqualTo(200);
    assertThat(ts.admin("POST", "/admin/v1/licenses/" + line.username() + "/ranges", "{\"ranges\":[\"^3.0.0\"]}").status())
        .isEqualTo(200);
    assertThat(ts.admin("DELETE", "/admin/v1/licenses/" + line.username() + "/ranges/2.x", null).status()).isEqualTo(200);
    assertThat(pull(line, "/v2/vendor/app/manifests/2.4.1").statusCode()).isEqualTo(403);
    assertThat(pull(line, "/v2/vendor/app/manifests/3.0.0").statusCode()).isEqualTo(200);
    assertThat(tagList(line)).containsExactly("3.0.0");
  }

  @Test
  void keepReleasedBeforeExpiry_keepsWhatWasSeenBefore_andNothingSeenAfter() throws Exception {
    Login kept = license("\"ranges\":[\"2.x\"],\"keepReleasedBeforeExpiry\":true");
    Login lapsed = license("\"ranges\":[\"2.x\"]");
    assertThat(tagList(kept)).containsExactly("2.4.0", "2.4.1");
    ts.server.sightings().drain(Eventually.PATIENCE.toMillis());
    TagsSeen seen = ts.server.store().snapshot().tagsSeen();
    assertThat(seen.firstSeen("vendor/app", "2.4.1")).as("dated by the listing").isNotNull();
    assertThat(seen.firstSeen("vendor/app", "3.0.0")).as("every tag listed is dated").isNotNull();

    Thread.sleep(20);
    Instant expiry = Instant.now();
    for (Login l : List.of(kept, lapsed)) {
      assertThat(ts.admin("PATCH", "/admin/v1/licenses/" + l.username(), "{\"expiresAt\":\"" + expiry + "\"}").status())
          .isEqualTo(200);
    }
    Thread.sleep(20);
    Image v260 = release("2.6.0");

    assertThat(pull(lapsed, "/v2/vendor/app/manifests/2.4.1").statusCode()).isEqualTo(401);
    assertThat(pull(kept, "/v2/vendor/app/manifests/2.4.1").statusCode()).isEqualTo(200);
    assertThat(pull(kept, "/v2/vendor/app/blobs/" + v241.layers().get(1)).statusCode()).isEqualTo(200);
    assertThat(pull(kept, "/v2/vendor/app/manifests/2.6.0").statusCode()).as("never seen before the expiry")
        .isEqualTo(403);
    assertThat(tagList(kept)).containsExactly("2.4.0", "2.4.1");
    ts.server.sightings().drain(Eventually.PATIENCE.toMillis());
    assertThat(seen.firstSeen("vendor/app", "2.6.0")).as("seen now, after the expiry").isAfter(expiry);
    assertThat(pull(kept, "/v2/vendor/app/manifests/2.6.0").statusCode()).isEqualTo(403);
    assertThat(pull(kept, "/v2/vendor/app/blobs/" + v260.layers().get(1)).statusCode()).isEqualTo(403);
  }

  @Test
  void theTagWatch_datesReleasesNobodyPulled() throws Exception {
    ts.close();
    ts = TestTurnstile.watchingTags(dir.resolve("watching"), upstream.baseUrl(), "100ms");
    TagsSeen seen = ts.server.store().snapshot().tagsSeen();
    until("the watch to date 2.4.1", () -> seen.knows("vendor/app", "2.4.1"));
    release("2.4.9");
    until("the watch to date 2.4.9, released after it started", () -> seen.knows("vendor/app", "2.4.9"));
  }
}
