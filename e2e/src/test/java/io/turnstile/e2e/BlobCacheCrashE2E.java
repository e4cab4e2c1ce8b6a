package io.turnstile.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.turnstile.testkit.Distribution;
import io.turnstile.testkit.Proc;
import io.turnstile.testkit.Seeder;
import io.turnstile.testkit.TurnstileProcess;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The built jar with a blob cache, in front of a real distribution upstream, killed with SIGKILL in
 * the middle of a cold pull, which a second client follows, and started again: no partial file is
 * ever served, and the follower's answer ends short rather than whole.
 */
class BlobCacheCrashE2E {
  private static final int BIG_MIB = 64;

  private Path dir;
  private Distribution upstream;
  private TurnstileProcess turnstile;
  private final ObjectMapper json = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private String layer;
  private String credentials;

  @BeforeEach
  void start() throws Exception {
    dir = Files.createTempDirectory("turnstile-blobcache-e2e");
    upstream = Distribution.basic(dir.resolve("upstream"), dir.resolve("storage"), Map.of("vendor", "vendor-secret"))
        .start();
    layer = new Seeder(upstream.url(), "vendor", "vendor-secret").bigImage("vendor/big", "1.0.0", BIG_MIB).layers().get(0);
    turnstile = new TurnstileProcess(dir.resolve("turnstile")).blobCache(dir.resolve("blobs"), "1GiB")
        .start(upstream.url(), "vendor", "vendor-secret");
    String customer = turnstile.cli("customer", "create", "--name", "Acme").get("id").asText();
    JsonNode license = turnstile.cli("license", "create", "--customer", customer, "--application", "app",
        "--version", "1.0.0");
    credentials = Base64.getEncoder().encodeToString((license.get("id").asText() + ":" + license.get("key").asText())
        .getBytes(StandardCharsets.UTF_8));
  }

  @AfterEach
  void stop() {
    if (turnstile != null) turnstile.close();
    if (upstream != null) upstream.close();
    deleteTree(dir.resolve("storage"));
    deleteTree(dir.resolve("blobs"));
  }

  private Path cached() {
    String hex = layer.substring("sha256:".length());
    return dir.resolve("blobs").resolve("sha256").resolve(hex.substring(0, 2)).resolve(hex);
  }

  private List<Path> unfinished() {
    try (Stream<Path> s = Files.list(dir.resolve("blobs").resolve("tmp"))) {
      return s.toList();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static long size(Path p) {
    try {
      return Files.size(p);
    } catch (java.io.IOException e) {
      return -1;
    }
  }

  private HttpResponse<InputStream> pull() throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(turnstile.url() + "/v2/vendor/big/blobs/" + layer))
        .header("Authorization", "Basic " + credentials).build(), HttpResponse.BodyHandlers.ofInputStream());
  }

  /** Reads the whole body and returns its digest. */
  private static String digestOf(HttpResponse<InputStream> r) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    try (InputStream in = r.body()) {
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) > 0) {
        sha.update(buf, 0, n);
      }
    }
    return "sha256:" + HexFormat.of().formatHex(sha.digest());
  }

  @Test
  void killedMidColdPull_withAnotherClientFollowing_thenRestarted_neverServesAPartialFile() throws Exception {
    HttpResponse<InputStream> first = pull();
    assertThat(first.statusCode()).isEqualTo(200);
    InputStream in = first.body();
    // Read a little, then stop reading: the download is under way and far from its end.
    byte[] buf = new byte[1 << 20];
    assertThat(in.readNBytes(buf, 0, buf.length)).isEqualTo(buf.length);
    Proc.await("a download under way", Duration.ofSeconds(60), () -> {
      List<Path> parts = unfinished();
      return parts.size() == 1 && size(parts.get(0)) > 0;
    });
    // A second client follows the growing file.
    HttpResponse<InputStream> second = pull();
    assertThat(second.statusCode()).isEqualTo(200);
    InputStream following = second.body();
    byte[] start = new byte[64 << 10];
    assertThat(following.readNBytes(start, 0, start.length)).isEqualTo(start.length);
    assertThat(start).isEqualTo(java.util.Arrays.copyOf(buf, start.length));
    turnstile.kill();
    in.close();
    assertThatThrownBy(following::readAllBytes).as("the follower is cut short, never given a whole answer")
        .isInstanceOf(java.io.IOException.class);
    following.close();

    assertThat(cached()).as("nothing in place").doesNotExist();
    assertThat(unfinished()).as("the crash left its partial download behind").hasSize(1);
    assertThat(Files.size(unfinished().get(0))).isLessThan((long) BIG_MIB << 20);

    turnstile.start(upstream.url(), "vendor", "vendor-secret");
    assertThat(unfinished()).as("deleted at start").isEmpty();
    assertThat(cached()).doesNotExist();

    HttpResponse<InputStream> again = pull();
    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(digestOf(again)).as("the whole blob, from the upstream").isEqualTo(layer);
    Proc.await("the blob in place", Duration.ofSeconds(60), () -> Files.exists(cached()));
    assertThat(Files.size(cached())).isEqualTo((long) BIG_MIB << 20);

    HttpResponse<InputStream> warm = pull();
    assertThat(warm.statusCode()).isEqualTo(200);
    assertThat(warm.headers().firstValue("Content-Length")).contains(String.valueOf((long) BIG_MIB << 20));
    assertThat(digestOf(warm)).as("the whole blob, from the file").isEqualTo(layer);
  }

  private static void deleteTree(Path root) {
    if (root == null || !Files.exists(root)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (Exception ignored) {
      // A temp directory: left for the OS.
    }
  }
}
