package io.turnstile.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.turnstile.testkit.Distribution;
import io.turnstile.testkit.Proc;
import io.turnstile.testkit.Seeder;
import io.turnstile.testkit.TurnstileProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * docker, containerd and skopeo pull through a running Turnstile from a real distribution
 * upstream, as customers and clusters do; the vendor edits licenses through the CLI meanwhile.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RealClientsE2E {
  private Path dir;
  private Path storage;
  private Distribution upstream;
  private Daemons daemons;
  private TurnstileProcess turnstile;
  private Seeder content;
  private final ObjectMapper json = new ObjectMapper();
  private String customer;
  private String licenseId;
  private String key;

  @BeforeAll
  void start() throws Exception {
    Proc.require("skopeo");
    dir = Files.createTempDirectory("turnstile-e2e");
    storage = dir.resolve("storage");
    upstream = Distribution.basic(dir.resolve("upstream"), storage,
        Map.of("vendor", "vendor-secret", "customer-bot", "customer-secret")).start();
    content = new Seeder(upstream.url(), "vendor", "vendor-secret").seedAll();
    daemons = new Daemons(dir.resolve("daemons")).start();
    turnstile = new TurnstileProcess(dir.resolve("turnstile")).start(upstream.url(), "vendor", "vendor-secret");
    customer = turnstile.cli("customer", "create", "--name", "Acme").get("id").asText();
    JsonNode l = turnstile.cli("license", "create", "--customer", customer, "--application", "app",
        "--version", "1.0.0", "--version", "1.1.0", "--version", "0.1.0");
    licenseId = l.get("id").asText();
    key = l.get("key").asText();
  }

  @AfterAll
  void stop() {
    if (turnstile != null) turnstile.close();
    if (daemons != null) daemons.close();
    if (upstream != null) upstream.close();
  }

  private String ref(String repoAndTag) {
    return turnstile.host() + "/" + repoAndTag;
  }

  private void dockerLogin(String user, String secret) {
    Proc.Result r = daemons.dockerWithInput(secret, "login", "-u", user, "--password-stdin", turnstile.host());
    assertThat(r.exit()).as(r.all()).isZero();
  }

  private String repoDigest(String image) {
    Proc.Result r = daemons.docker("image", "inspect", "--format", "{{range .RepoDigests}}{{.}} {{end}}", image);
    assertThat(r.exit()).as(r.all()).isZero();
    return r.out().trim();
  }

  private Proc.Result skopeo(String... args) {
    String[] cmd = new String[args.length + 1];
    cmd[0] = "skopeo";
    System.arraycopy(args, 0, cmd, 1, args.length);
    return Proc.run(List.of(cmd), Map.of(), null, Duration.ofMinutes(2));
  }

  private String token(String user, String secret, String scope) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(turnstile.url()
        + "/token?service=turnstile&scope=" + scope)).header("Authorization", "Basic "
        + Base64.getEncoder().encodeToString((user + ":" + secret).getBytes(StandardCharsets.UTF_8))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return json.readTree(r.body()).get("token").asText();
  }

  private int rawGet(String path, String token) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(turnstile.url() + path))
        .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  @Test
  @Order(1)
  void docker_loginAndPullAGrantedVersion_digestMatchesTheUpstream() {
    dockerLogin(licenseId, key);
    Proc.Result pull = daemons.docker("pull", ref("vendor/app:1.0.0"));
    assertThat(pull.exit()).as(pull.all()).isZero();
    assertThat(repoDigest(ref("vendor/app:1.0.0"))).contains(content.get("vendor/app", "1.0.0").digest());
  }

  @Test
  @Order(2)
  void pullAuditLog_recordsTheDockerPull_withItsVersionClientAndBlobBytes() throws Exception {
    String digest = content.get("vendor/app", "1.0.0").digest();
    // The record is written at once and completed with docker's blob bytes when its window closes:
    // after its next version, or 10 s without a blob.
    JsonNode record = null;
    long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (record == null && System.nanoTime() < end) {
      for (JsonNode p : turnstile.cli("pulls", "--license", licenseId).get("pulls")) {
        if (p.path("digest").asText().equals(digest) && p.path("blobBytes").asLong() > 0) {
          record = p;
        }
      }
      if (record == null) {
        Thread.sleep(1000);
      }
    }
    assertThat(record).as("a record of the docker pull of 1.0.0 with its blob bytes").isNotNull();
    assertThat(record.get("customerId").asText()).isEqualTo(customer);
    assertThat(record.get("credential").asText()).isEqualTo("license");
    assertThat(record.get("repository").asText()).isEqualTo("vendor/app");
    assertThat(record.get("version").asText()).isEqualTo("1.0.0");
    // docker asks by digest after a HEAD by tag: the record still names the tag.
    assertThat(record.get("tag").asText()).isEqualTo("1.0.0");
    assertThat(record.get("clientAddress").asText()).isEqualTo("127.0.0.1");
    assertThat(record.get("userAgent").asText()).startsWith("docker/");
    assertThat(record.toString()).doesNotContain(key);
    JsonNode summary = turnstile.cli("license", "show", licenseId).get("pulls");
    assertThat(summary.get("last").isTextual()).isTrue();
    assertThat(summary.get("versions30d").findValuesAsText("version")).contains("1.0.0");
  }

  @Test
  @Order(2)
  void docker_pullOfAnUngrantedVersion_failsMentioningTheLicense() {
    Proc.Result pull = daemons.docker("pull", ref("vendor/app:2.0.0"));
    assertThat(pull.exit()).isNotZero();
    assertThat(pull.all()).contains("license");
  }

  @Test
  @Order(3)
  void containerd_pullsAMultiArchIndexWithThePostTokenFlow() throws Exception {
    JsonNode multi = turnstile.cli("license", "create", "--customer", customer, "--application", "multi", "--version", "1.0.0");
    String user = multi.get("id").asText() + ":" + multi.get("key").asText();
    Proc.Result pull = daemons.ctr("images", "pull", "--plain-http", "--user", user, ref("vendor/multi:1.0.0"));
    assertThat(pull.exit()).as(pull.all()).isZero();
    Proc.Result ls = daemons.ctr("images", "ls");
    assertThat(ls.out()).contains(ref("vendor/multi:1.0.0")).contains(content.get("vendor/multi", "1.0.0").digest());
    Proc.Result denied = daemons.ctr("images", "pull", "--plain-http", "--user", user, ref("vendor/multi:2.0.0"));
    assertThat(denied.exit()).isNotZero();
    assertThat(denied.all()).contains("403");
    // ctr resolves the tag with a HEAD, then fetches the index and its platform manifest by digest:
    // one pull, one record, naming the tag. Read once the record is completed with its blob bytes,
    // which is written after every insert of the pull.
    String index = content.get("vendor/multi", "1.0.0").digest();
    JsonNode rows = null;
    long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < end) {
      rows = turnstile.cli("pulls", "--license", multi.get("id").asText()).get("pulls");
      if (rows.findValues("blobBytes").stream().anyMatch(b -> b.asLong() > 0)) {
        break;
      }
      Thread.sleep(500);
    }
    assertThat(rows).as("the pull audit log's records of the ctr pull").hasSize(1);
    assertThat(rows.get(0).get("tag").asText()).isEqualTo("1.0.0");
    assertThat(rows.get(0).get("digest").asText()).isEqualTo(index);
  }

  @Test
  @Order(4)
  void kubernetes_pullSecretCredentials_pullWithContainerd() throws Exception {
    Proc.Result secret = turnstile.cliRaw(null, Map.of("TURNSTILE_LICENSE_KEY", key), "license", "pull-secret", licenseId);
    assertThat(secret.exit()).as(secret.all()).isZero();
    JsonNode s = json.readTree(secret.out());
    assertThat(s.get("type").asText()).isEqualTo("kubernetes.io/dockerconfigjson");
    JsonNode config = json.readTree(Base64.getDecoder().decode(s.get("data").get(".dockerconfigjson").asText()));
    // kubelet: the entry for the image's registry host, credentials from its "auth" field.
    String auth = new String(Base64.getDecoder().decode(config.get("auths").get(turnstile.host()).get("auth").asText()),
        StandardCharsets.UTF_8);
    Proc.Result pull = daemons.ctr("images", "pull", "--plain-http", "--user", auth, ref("vendor/app:1.1.0"));
    assertThat(pull.exit()).as(pull.all()).isZero();
    assertThat(daemons.ctr("images", "ls").out()).contains(content.get("vendor/app", "1.1.0").digest());
  }

  @Test
  @Order(5)
  void skopeo_copiesListsOnlyGrantedTagsAndRefusesOthers() throws Exception {
    Path oci = dir.resolve("skopeo-oci");
    String creds = licenseId + ":" + key;
    Proc.Result copy = skopeo("copy", "--src-tls-verify=false", "--src-creds", creds,
        "docker://" + ref("vendor/app:1.1.0"), "oci:" + oci + ":1.1.0");
    assertThat(copy.exit()).as(copy.all()).isZero();
    assertThat(Files.readString(oci.resolve("index.json"))).contains(content.get("vendor/app", "1.1.0").digest());

    Proc.Result tags = skopeo("list-tags", "--tls-verify=false", "--creds", creds, "docker://" + turnstile.host() + "/vendor/app");
    assertThat(tags.exit()).as(tags.all()).isZero();
    assertThat(json.readTree(tags.out()).get("Tags")).extracting(JsonNode::asText).containsExactly("1.0.0", "1.1.0");

    Proc.Result inspect = skopeo("inspect", "--tls-verify=false", "--creds", creds, "docker://" + ref("vendor/app:2.0.0"));
    assertThat(inspect.exit()).isNotZero();
    assertThat(inspect.all()).contains("license");
  }

  @Test
  @Order(6)
  void helmChart_pulledAsAnOciArtifact_hasTheChartDigest() throws Exception {
    Seeder.Pushed chart = content.get("charts/app", "0.1.0");
    Path oci = dir.resolve("chart-oci");
    Proc.Result copy = skopeo("copy", "--src-tls-verify=false", "--src-creds", licenseId + ":" + key,
        "docker://" + ref("charts/app:0.1.0"), "oci:" + oci + ":0.1.0");
    assertThat(copy.exit()).as(copy.all()).isZero();
    byte[] tgz = Files.readAllBytes(oci.resolve("blobs/sha256/" + chart.layers().get(0).substring(7)));
    assertThat(Seeder.sha256(tgz)).isEqualTo(chart.layers().get(0));

    Proc.Result fetch = daemons.ctr("content", "fetch", "--plain-http", "--user", licenseId + ":" + key, ref("charts/app:0.1.0"));
    assertThat(fetch.exit()).as(fetch.all()).isZero();
    assertThat(daemons.ctr("content", "ls").out()).contains(chart.layers().get(0));
    Proc.Result denied = skopeo("inspect", "--raw", "--tls-verify=false", "--creds", licenseId + ":" + key,
        "docker://" + ref("charts/app:0.2.0"));
    assertThat(denied.exit()).isNotZero();
  }

  @Test
  @Order(7)
  void digestBypass_ofAnUngrantedVersion_fails() throws Exception {
    Seeder.Pushed v200 = content.get("vendor/app", "2.0.0");
    Proc.Result pull = daemons.docker("pull", turnstile.host() + "/vendor/app@" + v200.digest());
    assertThat(pull.exit()).isNotZero();
    Proc.Result copy = skopeo("copy", "--src-tls-verify=false", "--src-creds", licenseId + ":" + key,
        "docker://" + turnstile.host() + "/vendor/app@" + v200.digest(), "oci:" + dir.resolve("bypass"));
    assertThat(copy.exit()).isNotZero();
    String token = token(licenseId, key, "repository:vendor/app:pull");
    assertThat(rawGet("/v2/vendor/app/blobs/" + v200.layers().get(1), token)).isEqualTo(403);
    assertThat(rawGet("/v2/vendor/app/blobs/" + content.get("vendor/app", "1.0.0").layers().get(1), token)).isEqualTo(200);
  }

  @Test
  @Order(8)
  void licenseEdits_takeEffectOnTheNextRequest() throws Exception {
    turnstile.cli("license", "grant", licenseId, "--version", "2.0.0");
    Proc.Result granted = daemons.docker("pull", ref("vendor/app:2.0.0"));
    assertThat(granted.exit()).as(granted.all()).isZero();
    assertThat(repoDigest(ref("vendor/app:2.0.0"))).contains(content.get("vendor/app", "2.0.0").digest());

    turnstile.cli("license", "revoke", licenseId, "--version", "1.0.0");
    Proc.Result revoked = daemons.docker("pull", ref("vendor/app:1.0.0"));
    assertThat(revoked.exit()).isNotZero();
    assertThat(revoked.all()).contains("license");

    String creds = licenseId + ":" + key;
    assertThat(skopeo("inspect", "--tls-verify=false", "--creds", creds, "docker://" + ref("vendor/app:1.1.0")).exit()).isZero();
    String token = token(licenseId, key, "repository:vendor/app:pull");
    assertThat(rawGet("/v2/vendor/app/manifests/1.1.0", token)).isEqualTo(200);
    turnstile.cli("license", "update", licenseId, "--expires", "2001-01-01");
    long changed = System.nanoTime();
    assertThat(rawGet("/v2/vendor/app/manifests/1.1.0", token)).as("a token issued before the change").isEqualTo(401);
    long ms = Duration.ofNanos(System.nanoTime() - changed).toMillis();
    assertThat(ms).as("the next request answered %d ms after the change", ms).isLessThan(1000);
    Proc.Result skopeoAfter = skopeo("inspect", "--tls-verify=false", "--creds", creds, "docker://" + ref("vendor/app:1.1.0"));
    Proc.Result ctrAfter = daemons.ctr("images", "pull", "--plain-http", "--user", creds, ref("vendor/app:1.1.0"));
    Proc.Result dockerAfter = daemons.docker("pull", ref("vendor/app:1.1.0"));
    assertThat(skopeoAfter.exit()).isNotZero();
    assertThat(skopeoAfter.all()).contains("expired");
    assertThat(ctrAfter.exit()).isNotZero();
    assertThat(dockerAfter.exit()).isNotZero();
    turnstile.cli("license", "update", licenseId, "--expires", "never");
    assertThat(skopeo("inspect", "--tls-verify=false", "--creds", creds, "docker://" + ref("vendor/app:1.1.0")).exit()).isZero();
  }

  @Test
  @Order(9)
  void customerKey_pullsFromTwoLicensesWithOneLogin() {
    JsonNode ck = turnstile.cli("customer", "create-key", customer);
    dockerLogin(ck.get("username").asText(), ck.get("key").asText());
    Proc.Result app = daemons.docker("pull", ref("vendor/app:1.1.0"));
    assertThat(app.exit()).as(app.all()).isZero();
    Proc.Result multi = daemons.docker("pull", ref("vendor/multi:1.0.0"));
    assertThat(multi.exit()).as(multi.all()).isZero();
    assertThat(repoDigest(ref("vendor/multi:1.0.0"))).contains(content.get("vendor/multi", "1.0.0").digest());
  }

  @Test
  @Order(10)
  void licenseWithItsOwnUpstreamCredentials_pullsWithThem() {
    Proc.Result good = turnstile.cliRaw(null, Map.of("TURNSTILE_UPSTREAM_PASSWORD", "customer-secret"),
        "license", "create", "--customer", customer, "--application", "app", "--version", "1.0.0",
        "--upstream-username", "customer-bot");
    assertThat(good.exit()).as(good.all()).isZero();
    Proc.Result bad = turnstile.cliRaw(null, Map.of("TURNSTILE_UPSTREAM_PASSWORD", "wrong-secret"),
        "license", "create", "--customer", customer, "--application", "app", "--version", "1.0.0",
        "--upstream-username", "customer-bot");
    assertThat(bad.exit()).as(bad.all()).isZero();
    try {
      JsonNode g = json.readTree(good.out());
      JsonNode b = json.readTree(bad.out());
      Proc.Result ok = skopeo("inspect", "--tls-verify=false", "--creds", g.get("id").asText() + ":" + g.get("key").asText(),
          "docker://" + ref("vendor/app:1.0.0"));
      assertThat(ok.exit()).as(ok.all()).isZero();
      long t0 = System.nanoTime();
      Proc.Result refused = skopeo("inspect", "--tls-verify=false", "--creds", b.get("id").asText() + ":" + b.get("key").asText(),
          "docker://" + ref("vendor/app:1.0.0"));
      assertThat(refused.exit()).isNotZero();
      assertThat(refused.all()).containsAnyOf("502", "rejected");
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("no hang").isLessThan(Duration.ofSeconds(30));
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  @Order(11)
  void upstreamOutage_failsFastWith5xx_andRecoversWithoutARestart() throws Exception {
    String token = token(licenseId, key, "repository:vendor/app:pull");
    upstream.stop();
    // The tag's digest, resolved before the outage, is trusted for cache.tagTtl (1 s); once that has
    // passed, the manifest needs the upstream. Each try is timed: the one that fails must fail fast.
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    int status;
    Duration took;
    while (true) {
      long t0 = System.nanoTime();
      status = rawGet("/v2/vendor/app/manifests/1.1.0", token);
      took = Duration.ofNanos(System.nanoTime() - t0);
      if (status != 200 || System.nanoTime() > deadline) {
        break;
      }
      Thread.sleep(100);
    }
    assertThat(status).as("the manifest during the outage").isBetween(500, 599);
    assertThat(took).as("the failure took %d ms", took.toMillis()).isLessThan(Duration.ofSeconds(15));
    Proc.Result during = skopeo("inspect", "--tls-verify=false", "--creds", licenseId + ":" + key, "docker://" + ref("vendor/app:1.1.0"));
    assertThat(during.exit()).isNotZero();
    upstream.start();
    Proc.Result after = skopeo("inspect", "--tls-verify=false", "--creds", licenseId + ":" + key, "docker://" + ref("vendor/app:1.1.0"));
    assertThat(after.exit()).as(after.all()).isZero();
    Proc.Result pull = daemons.docker("pull", ref("vendor/app:1.1.0"));
    assertThat(pull.exit()).as(pull.all()).isZero();
  }
}
