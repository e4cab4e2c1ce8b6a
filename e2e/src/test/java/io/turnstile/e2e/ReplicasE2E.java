package io.turnstile.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.turnstile.testkit.Distribution;
import io.turnstile.testkit.Nginx;
import io.turnstile.testkit.Postgres;
import io.turnstile.testkit.Proc;
import io.turnstile.testkit.Seeder;
import io.turnstile.testkit.TurnstileProcess;
import java.io.IOException;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Three Turnstile replicas sharing one PostgreSQL store, one encryption key and one signing key,
 * behind an nginx round-robin balancer that is their public URL, in front of a real distribution
 * upstream: real clients pull through the balancer, an edit made through one replica is enforced
 * by all of them, and a replica killed mid-pull costs the client one resumed request.
 *
 * <p>Every license the scenarios use is created before the second and third replicas start, so
 * that what they know at start-up does not depend on edits reaching them; only the edit scenarios
 * need replicas to learn of each other's writes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReplicasE2E {
  private static final int REPLICAS = 3;
  private static final int BIG_MIB = 64;
  /** How long an edit made through one replica may take to be enforced by every replica. */
  private static final Duration PROPAGATION = Duration.ofSeconds(2);
  /**
   * How long to wait for an edit to reach every replica before giving up: far beyond {@link
   * #PROPAGATION}, so that a slow machine fails with the delay it measured, not with a timeout.
   */
  private static final Duration PATIENCE = Duration.ofSeconds(30);
  private static final String MANIFEST_TYPES = String.join(",", Seeder.OCI_MANIFEST, Seeder.OCI_INDEX,
      "application/vnd.docker.distribution.manifest.v2+json");

  private Path dir;
  private Distribution upstream;
  private Seeder content;
  private Postgres postgres;
  private final List<TurnstileProcess> replicas = new ArrayList<>();
  private Nginx balancer;
  private Daemons daemons;
  private final ObjectMapper json = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  /** Grants 1.0.0 and 1.1.0 of app; the edit scenarios grant 2.0.0 and revoke 1.0.0. */
  private String licenseId;
  private String key;
  /** Grants 1.1.0 of app and pulls with its own upstream credentials, encrypted in the store. */
  private String ownCredentials;
  /** Grants 1.0.0 of app, which reaches vendor/big:1.0.0; left alone by the edits. */
  private String bigCredentials;

  @BeforeAll
  void start() throws Exception {
    Proc.require("skopeo");
    Proc.require("nginx");
    dir = Files.createTempDirectory("turnstile-replicas-e2e");
    upstream = Distribution.basic(dir.resolve("upstream"), dir.resolve("storage"),
        Map.of("vendor", "vendor-secret", "customer-bot", "customer-secret")).start();
    content = new Seeder(upstream.url(), "vendor", "vendor-secret").seedAll();
    content.bigImage("vendor/big", "1.0.0", BIG_MIB);
    postgres = Postgres.start(dir.resolve("postgres"));

    for (int i = 0; i < REPLICAS; i++) {
      replicas.add(new TurnstileProcess(dir.resolve("replica-" + i)));
    }
    // The replicas' ports are asked for when the balancer starts, after theirs: a replica whose
    // port was taken before it started has moved to another by then.
    balancer = Nginx.balancer(dir.resolve("nginx"), () -> replicas.stream().map(r -> r.port).toList());
    String encryptionKey = TurnstileProcess.newEncryptionKey();
    Path signingKey = dir.resolve("signing-key.pem");
    for (TurnstileProcess r : replicas) {
      r.store(postgres.jdbcUrl(), postgres.user(), postgres.password()).encryptionKey(encryptionKey)
          .signingKey(signingKey).publicUrl(balancer.url());
    }
    // The first replica migrates the schema and generates the signing key the others load.
    replicas.get(0).start(upstream.url(), "vendor", "vendor-secret");
    TurnstileProcess first = replicas.get(0);
    String customer = first.cli("customer", "create", "--name", "Acme").get("id").asText();
    JsonNode license = first.cli("license", "create", "--customer", customer, "--application", "app",
        "--version", "1.0.0", "--version", "1.1.0");
    licenseId = license.get("id").asText();
    key = license.get("key").asText();
    Proc.Result own = first.cliRaw(null, Map.of("TURNSTILE_UPSTREAM_PASSWORD", "customer-secret"), "license", "create",
        "--customer", customer, "--application", "app", "--version", "1.1.0", "--upstream-username", "customer-bot");
    assertThat(own.exit()).as(own.all()).isZero();
    ownCredentials = credentials(json.readTree(own.out()));
    bigCredentials = credentials(first.cli("license", "create", "--customer", customer, "--application", "app",
        "--version", "1.0.0"));
    for (TurnstileProcess r : replicas.subList(1, REPLICAS)) {
      r.start(upstream.url(), "vendor", "vendor-secret");
    }
    balancer.start();
    daemons = new Daemons(dir.resolve("daemons")).start();
  }

  @AfterAll
  void stop() {
    if (daemons != null) daemons.close();
    if (balancer != null) balancer.close();
    replicas.forEach(TurnstileProcess::close);
    if (postgres != null) postgres.close();
    if (upstream != null) upstream.close();
    // The upstream's storage holds the 64 MiB blob; the logs beside it stay for a failed run.
    if (dir != null) deleteTree(dir.resolve("storage"));
  }

  private static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (var files = Files.walk(root)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // a leftover temporary file is not worth failing the suite for
    }
  }

  private static String credentials(JsonNode license) {
    return license.get("id").asText() + ":" + license.get("key").asText();
  }

  private String ref(String repoAndTag) {
    return balancer.host() + "/" + repoAndTag;
  }

  private Proc.Result skopeo(String... args) {
    List<String> cmd = new ArrayList<>(List.of("skopeo"));
    cmd.addAll(List.of(args));
    return Proc.run(cmd, Map.of(), null, Duration.ofMinutes(2));
  }

  private static String basic(String credentials) {
    return "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
  }

  /** The status of a manifest HEAD on {@code baseUrl} with Basic credentials. */
  private int manifestHead(String baseUrl, String repo, String tag, String credentials) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/v2/" + repo + "/manifests/" + tag))
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).header("Authorization", basic(credentials))
        .header("Accept", MANIFEST_TYPES).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  /** The replicas that served requests through the balancer so far, from its access log. */
  private TreeSet<String> replicasInAccessLog() throws IOException {
    TreeSet<String> served = new TreeSet<>();
    for (String line : Files.readAllLines(dir.resolve("nginx/logs/access.log"))) {
      int at = line.indexOf("upstream=");
      if (at >= 0) {
        // The last field: every server tried, comma-separated; "-" when nginx answered itself
        // (the TLS hello docker and skopeo try first on a plain-HTTP port).
        for (String addr : line.substring(at + "upstream=".length()).split(",")) {
          if (!addr.isBlank() && !addr.trim().equals("-")) {
            served.add(addr.trim());
          }
        }
      }
    }
    return served;
  }

  private int replicaPort(String upstreamAddrHeader) {
    String[] tried = upstreamAddrHeader.split(",");
    String last = tried[tried.length - 1].trim();
    return Integer.parseInt(last.substring(last.lastIndexOf(':') + 1));
  }

  @Test
  @Order(1)
  void dockerAndSkopeo_pullAGrantedVersionThroughTheBalancer_servedByEveryReplica() throws Exception {
    Proc.Result login = daemons.dockerWithInput(key, "login", "-u", licenseId, "--password-stdin", balancer.host());
    assertThat(login.exit()).as(login.all()).isZero();
    Proc.Result pull = daemons.docker("pull", ref("vendor/app:1.0.0"));
    assertThat(pull.exit()).as(pull.all()).isZero();
    Proc.Result inspect = daemons.docker("image", "inspect", "--format", "{{range .RepoDigests}}{{.}} {{end}}",
        ref("vendor/app:1.0.0"));
    assertThat(inspect.out()).contains(content.get("vendor/app", "1.0.0").digest());

    Path oci = dir.resolve("skopeo-oci");
    Proc.Result copy = skopeo("copy", "--src-tls-verify=false", "--src-creds", licenseId + ":" + key,
        "docker://" + ref("vendor/app:1.1.0"), "oci:" + oci + ":1.1.0");
    assertThat(copy.exit()).as(copy.all()).isZero();
    assertThat(Files.readString(oci.resolve("index.json"))).contains(content.get("vendor/app", "1.1.0").digest());

    // Tokens issued by one replica were accepted by the others: every replica took part. nginx logs
    // a request once it has finished it, which may be just after the client has its answer.
    List<String> hosts = replicas.stream().map(TurnstileProcess::host).toList();
    Proc.await("every replica in the balancer's access log", PATIENCE, () -> {
      try {
        return replicasInAccessLog().containsAll(hosts);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    assertThat(replicasInAccessLog()).as("replicas that served the pulls").containsExactlyInAnyOrderElementsOf(hosts);
  }

  @Test
  @Order(2)
  void upstreamCredentialsStoredThroughOneReplica_areDecryptedByEveryReplica() {
    for (TurnstileProcess replica : replicas) {
      Proc.Result r = skopeo("inspect", "--tls-verify=false", "--creds", ownCredentials,
          "docker://" + replica.host() + "/vendor/app:1.1.0");
      assertThat(r.exit()).as("replica " + replica.host() + ": " + r.all()).isZero();
      assertThat(r.out()).contains(content.get("vendor/app", "1.1.0").digest());
    }
  }

  /** A call to the first replica's admin API, where the CLI sends its edits. */
  private JsonNode admin(String method, String path, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(replicas.get(0).adminUrl() + "/admin/v1" + path))
        .header("Authorization", "Bearer " + TurnstileProcess.ADMIN_TOKEN).timeout(Duration.ofSeconds(30));
    request = body == null ? request.method(method, HttpRequest.BodyPublishers.noBody())
        : request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> r = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isEqualTo(200);
    return json.readTree(r.body());
  }

  /**
   * An edit of the license through the first replica; returns when the store recorded it, the
   * newest time in the license's history: the moment the edit exists for the other replicas, by
   * the clock they and this test share.
   */
  private Instant edit(String method, String path, String body) throws Exception {
    admin(method, path, body);
    Instant newest = Instant.MIN;
    for (JsonNode event : admin("GET", "/licenses/" + licenseId, null).get("history")) {
      Instant at = Instant.parse(event.get("at").asText());
      newest = at.isAfter(newest) ? at : newest;
    }
    return newest;
  }

  /**
   * Polls every replica directly until each answers {@code expected} for the manifest HEAD (giving
   * up after {@link #PATIENCE}), then requires the last answer to have come less than {@link
   * #PROPAGATION} after {@code madeAt}. The polls' own time counts as delay, so the figure can only
   * overstate it.
   */
  private void awaitEveryReplica(String tag, List<Integer> expected, Instant madeAt) throws Exception {
    String creds = licenseId + ":" + key;
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    List<String> answers = new ArrayList<>();
    while (true) {
      answers.clear();
      for (TurnstileProcess replica : replicas) {
        int status = manifestHead(replica.url(), "vendor/app", tag, creds);
        if (!expected.contains(status)) {
          answers.add(replica.host() + " answers " + status);
        }
      }
      if (answers.isEmpty()) {
        break;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("vendor/app:" + tag + ", " + PATIENCE.toSeconds() + " s after an edit through replica "
            + replicas.get(0).host() + ": " + answers);
      }
      Thread.sleep(100);
    }
    long ms = Duration.between(madeAt, Instant.now()).toMillis();
    System.out.printf("ReplicasE2E: vendor/app:%s edit seen on every replica after %d ms%n", tag, ms);
    assertThat(Duration.ofMillis(ms)).as("vendor/app:%s on every replica %d ms after an edit through replica %s",
        tag, ms, replicas.get(0).host()).isLessThan(PROPAGATION);
  }

  @Test
  @Order(3)
  void grantThroughOneReplica_isEnforcedByEveryReplicaAndThroughTheBalancer() throws Exception {
    for (TurnstileProcess replica : replicas) {
      assertThat(manifestHead(replica.url(), "vendor/app", "2.0.0", licenseId + ":" + key)).isEqualTo(403);
    }
    Instant granted = edit("POST", "/licenses/" + licenseId + "/versions", "{\"versions\":[\"2.0.0\"]}");
    awaitEveryReplica("2.0.0", List.of(200), granted);
    Proc.Result pull = daemons.docker("pull", ref("vendor/app:2.0.0"));
    assertThat(pull.exit()).as(pull.all()).isZero();
    Proc.Result inspect = skopeo("inspect", "--tls-verify=false", "--creds", licenseId + ":" + key,
        "docker://" + ref("vendor/app:2.0.0"));
    assertThat(inspect.exit()).as(inspect.all()).isZero();
  }

  @Test
  @Order(4)
  void revokeThroughOneReplica_isEnforcedByEveryReplicaAndThroughTheBalancer() throws Exception {
    for (TurnstileProcess replica : replicas) {
      assertThat(manifestHead(replica.url(), "vendor/app", "1.0.0", licenseId + ":" + key)).isEqualTo(200);
    }
    Instant revoked = edit("DELETE", "/licenses/" + licenseId + "/versions/1.0.0", null);
    awaitEveryReplica("1.0.0", List.of(401, 403), revoked);
    // Each of these requests may land on any replica: none of them may still grant 1.0.0.
    for (int i = 0; i < REPLICAS; i++) {
      Proc.Result inspect = skopeo("inspect", "--tls-verify=false", "--creds", licenseId + ":" + key,
          "docker://" + ref("vendor/app:1.0.0"));
      assertThat(inspect.exit()).as(inspect.all()).isNotZero();
      assertThat(inspect.all()).contains("license");
    }
    Proc.Result pull = daemons.docker("pull", ref("vendor/app:1.0.0"));
    assertThat(pull.exit()).as(pull.all()).isNotZero();
  }

  /**
   * The client is this test's own: a blob GET through the balancer that learns from {@link
   * Nginx#UPSTREAM_HEADER} which replica is sending it, reads a quarter, has exactly that replica
   * killed, and resumes with a {@code Range} request from the first byte it lacks, as docker does
   * when a layer download breaks. Driving the kill from inside the download is what makes it land
   * mid-body on the right replica every run; docker and skopeo give no hook to do that without
   * racing them. The bytes are checked against the layer's digest.
   */
  @Test
  @Order(5)
  void kill9OfTheReplicaServingABigBlob_theResumedDownloadCompletesThroughAnother() throws Exception {
    Seeder.Pushed big = content.get("vendor/big", "1.0.0");
    String layer = big.layers().get(0);
    long size = (long) BIG_MIB << 20;
    HttpResponse<String> tokenResponse = http.send(HttpRequest.newBuilder(URI.create(balancer.url()
        + "/token?service=turnstile&scope=repository:vendor/big:pull")).header("Authorization", basic(bigCredentials))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(tokenResponse.statusCode()).as(tokenResponse.body()).isEqualTo(200);
    String token = json.readTree(tokenResponse.body()).get("token").asText();
    URI blob = URI.create(balancer.url() + "/v2/vendor/big/blobs/" + layer);
    MessageDigest sha = MessageDigest.getInstance("SHA-256");

    HttpResponse<InputStream> first = http.send(HttpRequest.newBuilder(blob).header("Authorization", "Bearer " + token)
        .build(), HttpResponse.BodyHandlers.ofInputStream());
    assertThat(first.statusCode()).isEqualTo(200);
    int victimPort = replicaPort(first.headers().firstValue(Nginx.UPSTREAM_HEADER).orElseThrow());
    TurnstileProcess victim = replicas.stream().filter(r -> r.port == victimPort).findFirst().orElseThrow();
    long received = 0;
    byte[] buf = new byte[64 * 1024];
    boolean killed = false;
    try (InputStream in = first.body()) {
      int n;
      while ((n = in.read(buf)) > 0) {
        sha.update(buf, 0, n);
        received += n;
        if (!killed && received >= size / 4) {
          victim.kill();
          killed = true;
        }
      }
    } catch (IOException broken) {
      // the connection died with the replica: what a client sees
    }
    assertThat(killed).isTrue();
    assertThat(received).as("bytes before the download broke").isLessThan(size);

    HttpResponse<InputStream> rest = http.send(HttpRequest.newBuilder(blob).header("Authorization", "Bearer " + token)
        .header("Range", "bytes=" + received + "-").build(), HttpResponse.BodyHandlers.ofInputStream());
    String servedBy = rest.headers().firstValue(Nginx.UPSTREAM_HEADER).orElse("?");
    assertThat(rest.statusCode()).as("resumed through " + servedBy).isEqualTo(206);
    assertThat(replicaPort(servedBy)).as("served by").isNotEqualTo(victimPort);
    assertThat(rest.headers().firstValue("Content-Range"))
        .hasValue("bytes " + received + "-" + (size - 1) + "/" + size);
    try (InputStream in = rest.body()) {
      int n;
      while ((n = in.read(buf)) > 0) {
        sha.update(buf, 0, n);
        received += n;
      }
    }
    assertThat(received).isEqualTo(size);
    assertThat("sha256:" + HexFormat.of().formatHex(sha.digest())).isEqualTo(layer);

    // Real clients go on through the balancer, which now skips the dead replica.
    Proc.Result pull = daemons.docker("pull", ref("vendor/app:1.1.0"));
    assertThat(pull.exit()).as(pull.all()).isZero();
    Proc.Result inspect = skopeo("inspect", "--tls-verify=false", "--creds", ownCredentials,
        "docker://" + ref("vendor/app:1.1.0"));
    assertThat(inspect.exit()).as(inspect.all()).isZero();
  }
}
