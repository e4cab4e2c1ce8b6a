package io.turnstile.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.turnstile.testkit.Distribution;
import io.turnstile.testkit.Proc;
import io.turnstile.testkit.Seeder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
 * An air-gapped customer: a bundle of two granted versions is fetched with curl from a real
 * distribution upstream through Turnstile, then installed with standard tools only, as the README
 * says: {@code skopeo copy} of every image from the {@code oci-archive:} into a second, empty
 * distribution registry and into {@code docker-daemon:}, {@code docker run} of one of them, {@code
 * helm pull} (Helm 4) of the chart from the second registry. A bundle cut at 60 % and resumed with
 * {@code curl -C -} is byte-identical to an uncut one; a version not granted is refused.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BundlesE2E {
  private static final String GREETING = "hello from the bundle";

  private ClientStack stack;
  private Distribution internal;
  private Daemons daemons;
  private ClientStack.Login license;
  private Path bundle;
  private final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  void start() throws Exception {
    Proc.require("curl");
    Proc.require("skopeo");
    Proc.require("helm");
    stack = ClientStack.start("bundles");
    stack.content.runnable("vendor/app", "1.2.0", Path.of(Proc.require("busybox")), "echo", GREETING);
    stack.content.seedChart("charts/app", "1.2.0");
    license = stack.license("app", "1.1.0", "1.2.0");
    internal = Distribution.basic(stack.dir.resolve("internal"), stack.dir.resolve("internal-storage"),
        Map.of("ops", "ops-secret")).start();
    daemons = new Daemons(stack.dir.resolve("daemons")).start();
    bundle = stack.dir.resolve("bundle.tar");
  }

  @AfterAll
  void stop() {
    if (daemons != null) daemons.close();
    if (internal != null) internal.close();
    if (stack != null) stack.close();
  }

  private String url(String query) {
    return stack.turnstile.url() + "/bundles/" + license.licenseId() + query;
  }

  private Proc.Result curl(String... args) {
    List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "-u", license.username() + ":" + license.key()));
    cmd.addAll(List.of(args));
    return Proc.run(cmd, Map.of(), null, Duration.ofMinutes(3));
  }

  private Proc.Result skopeo(Map<String, String> env, String... args) {
    List<String> cmd = new ArrayList<>(List.of("skopeo"));
    cmd.addAll(List.of(args));
    return Proc.run(cmd, env, null, Duration.ofMinutes(3));
  }

  /** The {@code org.opencontainers.image.ref.name} of every manifest the bundle's index.json names. */
  private List<String> refNames() throws Exception {
    Proc.Result r = Proc.run(List.of("tar", "-xOf", bundle.toString(), "index.json"), Map.of(), null, Duration.ofMinutes(1));
    assertThat(r.exit()).as(r.all()).isZero();
    List<String> names = new ArrayList<>();
    for (JsonNode m : json.readTree(r.out()).get("manifests")) {
      JsonNode name = m.path("annotations").path("org.opencontainers.image.ref.name");
      if (!name.isMissingNode()) {
        names.add(name.asText());
      }
    }
    return names;
  }

  /** The digest the internal registry names {@code repo:tag} by. */
  private String internalDigest(String repo, String tag) throws Exception {
    HttpResponse<Void> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create(internal.url() + "/v2/" + repo + "/manifests/" + tag))
        .method("HEAD", HttpRequest.BodyPublishers.noBody())
        .header("Authorization", "Basic " + Base64.getEncoder().encodeToString("ops:ops-secret".getBytes()))
        .header("Accept", Seeder.OCI_MANIFEST + ", " + Seeder.OCI_INDEX).build(), HttpResponse.BodyHandlers.discarding());
    assertThat(r.statusCode()).as(repo + ":" + tag).isEqualTo(200);
    return r.headers().firstValue("Docker-Content-Digest").orElseThrow();
  }

  @Test
  @Order(1)
  void aBundleOfTwoVersions_isFetchedWithCurl() throws Exception {
    Proc.Result r = curl("--fail-with-body", "-o", bundle.toString(), "-D", "-", url("?version=1.1.0&version=1.2.0"));
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.out()).containsIgnoringCase("content-length: " + Files.size(bundle));
    assertThat(refNames()).containsExactly("vendor/app:1.1.0", "vendor/app:1.2.0", "charts/app:1.2.0");
  }

  @Test
  @Order(2)
  void everyImage_isCopiedWithSkopeoIntoAnEmptyRegistry_withTheUpstreamsDigests() throws Exception {
    for (String name : refNames()) {
      Proc.Result copy = skopeo(Map.of(), "copy", "--all", "--dest-tls-verify=false", "--dest-creds", "ops:ops-secret",
          "oci-archive:" + bundle + ":" + name, "docker://" + internal.url().replaceFirst("^https?://", "") + "/" + name);
      assertThat(copy.exit()).as(name + ": " + copy.all()).isZero();
      String repo = name.substring(0, name.indexOf(':'));
      String tag = name.substring(name.indexOf(':') + 1);
      assertThat(internalDigest(repo, tag)).as(name).isEqualTo(stack.content.get(repo, tag).digest());
    }
  }

  @Test
  @Order(3)
  void anImage_isCopiedIntoDocker_andRuns() {
    Proc.Result copy = skopeo(Map.of(), "copy", "--dest-daemon-host", daemons.dockerEnv.get("DOCKER_HOST"),
        "oci-archive:" + bundle + ":vendor/app:1.2.0", "docker-daemon:vendor/app:1.2.0");
    assertThat(copy.exit()).as(copy.all()).isZero();
    Proc.Result run = daemons.docker("run", "--rm", "--network", "none", "vendor/app:1.2.0");
    assertThat(run.exit()).as(run.all()).isZero();
    assertThat(run.out()).contains(GREETING);
  }

  @Test
  @Order(4)
  void theChart_isPulledWithHelm4FromTheInternalRegistry() throws Exception {
    Path home = stack.dir.resolve("helm-internal");
    Map<String, String> env = Map.of("HELM_REGISTRY_CONFIG", home.resolve("registry/config.json").toString(),
        "HELM_CACHE_HOME", home.resolve("cache").toString(), "HELM_CONFIG_HOME", home.resolve("config").toString(),
        "HELM_DATA_HOME", home.resolve("data").toString());
    String host = internal.url().replaceFirst("^https?://", "");
    Proc.Result login = Proc.run(List.of("helm", "registry", "login", "--plain-http", "-u", "ops", "--password-stdin",
        host), env, "ops-secret", Duration.ofMinutes(1));
    assertThat(login.exit()).as(login.all()).isZero();
    Path dest = Files.createTempDirectory(stack.dir, "charts");
    Proc.Result pull = Proc.run(List.of("helm", "pull", "oci://" + host + "/charts/app", "--version", "1.2.0",
        "--plain-http", "-d", dest.toString()), env, null, Duration.ofMinutes(2));
    assertThat(pull.exit()).as(pull.all()).isZero();
    Seeder.Pushed chart = stack.content.get("charts/app", "1.2.0");
    assertThat(pull.all()).contains("Digest: " + chart.digest());
    assertThat(Seeder.sha256(Files.readAllBytes(dest.resolve("app-1.2.0.tgz")))).isEqualTo(chart.layers().get(0));
  }

  @Test
  @Order(5)
  void aBundleCutAt60Percent_isFinishedWithCurlC_byteIdentical() throws Exception {
    long size = Files.size(bundle);
    Path cut = stack.dir.resolve("cut.tar");
    Proc.Result first = curl("--fail", "-r", "0-" + (size * 6 / 10 - 1), "-o", cut.toString(),
        url("?version=1.1.0&version=1.2.0"));
    assertThat(first.exit()).as(first.all()).isZero();
    assertThat(Files.size(cut)).isEqualTo(size * 6 / 10);
    Proc.Result resumed = curl("--fail", "-C", "-", "-o", cut.toString(), url("?version=1.1.0&version=1.2.0"));
    assertThat(resumed.exit()).as(resumed.all()).isZero();
    assertThat(Files.readAllBytes(cut)).isEqualTo(Files.readAllBytes(bundle));
  }

  @Test
  @Order(6)
  void aVersionNotGranted_isRefusedWithThePullsMessage() {
    Path out = stack.dir.resolve("refused.json");
    Proc.Result r = curl("-o", out.toString(), "-w", "%{http_code}", url("?version=1.2.0&version=2.0.0"));
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.out()).isEqualTo("403");
    assertThat(out).content().contains("your license does not grant tag 2.0.0 of vendor/app");
  }
}
