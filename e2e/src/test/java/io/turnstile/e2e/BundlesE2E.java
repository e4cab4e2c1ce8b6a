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
 * {@code curl -C -} is byte-identical to an uncut one; a version not granted is refused. The signed
 * manifest list inside verifies with Node's {@code jose} and PyJWT against the published keys, and
 * the whole bundle with {@code turnstile bundle verify}, which refuses one with a changed byte.
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

  /** {@code tar -xOf bundle.tar NAME}, written to a file of its own, as the README does it. */
  private Path extract(Path tar, String name) throws Exception {
    Proc.Result r = Proc.run(List.of("tar", "-xOf", tar.toString(), name), Map.of(), null, Duration.ofMinutes(1));
    assertThat(r.exit()).as(r.all()).isZero();
    Path out = stack.dir.resolve("extracted-" + System.nanoTime() + "-" + name);
    Files.writeString(out, r.out());
    return out;
  }

  @Test
  @Order(7)
  void theSignedList_isVerifiedByJoseAndPyJwtAndTheCli_andATamperedBundleIsRefused() throws Exception {
    Path keys = stack.dir.resolve("license-keys.json");
    HttpResponse<String> published = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create(stack.turnstile.url() + "/.well-known/license-keys.json")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(published.statusCode()).isEqualTo(200);
    Files.writeString(keys, published.body());
    Path jws = extract(bundle, "turnstile-bundle.jwt");
    JsonNode list = json.readTree(Files.readString(extract(bundle, "turnstile-bundle.json")));
    for (Proc.Result r : List.of(JwtVerifiers.node(keys, jws, JwtVerifiers.BUNDLE),
        JwtVerifiers.python(keys, jws, JwtVerifiers.BUNDLE))) {
      assertThat(r.exit()).as(r.all()).isZero();
      JsonNode claims = json.readTree(r.out()).get("claims");
      assertThat(claims).isEqualTo(list);
      assertThat(claims.get("sub").asText()).isEqualTo(license.licenseId());
      assertThat(claims.get("versions").toString()).isEqualTo("[\"1.1.0\",\"1.2.0\"]");
    }
    // Neither takes a license file for a bundle list.
    Path licenseFile = stack.dir.resolve("license.jwt");
    Proc.Result file = stack.turnstile.cliRaw(null, Map.of(), "license", "file", license.licenseId(), "--to",
        licenseFile.toString());
    assertThat(file.exit()).as(file.err()).isZero();
    assertThat(JwtVerifiers.node(keys, licenseFile, JwtVerifiers.BUNDLE).exit()).isNotZero();
    assertThat(JwtVerifiers.python(keys, licenseFile, JwtVerifiers.BUNDLE).exit()).isNotZero();

    Proc.Result verified = stack.turnstile.offline("bundle", "verify", bundle.toString(), "--keys", keys.toString());
    assertThat(verified.exit()).as(verified.all()).isZero();
    assertThat(verified.out()).contains("vendor/app").contains("charts/app")
        .contains(stack.content.get("vendor/app", "1.2.0").digest());
    assertThat(verified.err()).contains("verified: ");

    // One byte of the largest blob changed: the CLI refuses the bundle, naming the blob.
    Path tampered = stack.dir.resolve("tampered.tar");
    Files.copy(bundle, tampered, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    String largest;
    long at;
    try (org.apache.commons.compress.archivers.tar.TarFile tar = new org.apache.commons.compress.archivers.tar.TarFile(
        bundle)) {
      var biggest = tar.getEntries().stream().max(java.util.Comparator.comparingLong(
          org.apache.commons.compress.archivers.tar.TarArchiveEntry::getSize)).orElseThrow();
      largest = biggest.getName();
      at = biggest.getDataOffset() + biggest.getSize() / 2;
    }
    try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(tampered.toFile(), "rw")) {
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 1);
    }
    Proc.Result refused = stack.turnstile.offline("bundle", "verify", tampered.toString(), "--keys", keys.toString());
    assertThat(refused.exit()).as(refused.all()).isNotZero();
    assertThat(refused.err()).contains("does not verify: " + largest + " does not match its digest");

    // One byte of the signed list: jose and PyJWT refuse the signature.
    String[] parts = Files.readString(jws).strip().split("\\.");
    String payload = new String(Base64.getUrlDecoder().decode(parts[1]), java.nio.charset.StandardCharsets.UTF_8);
    Path forged = stack.dir.resolve("forged.jwt");
    Files.writeString(forged, parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(
        payload.replace("\"1.1.0\"", "\"1.1.1\"").getBytes(java.nio.charset.StandardCharsets.UTF_8)) + "." + parts[2]);
    Proc.Result byNode = JwtVerifiers.node(keys, forged, JwtVerifiers.BUNDLE);
    assertThat(byNode.exit()).isNotZero();
    assertThat(byNode.err()).contains("ERR_JWS_SIGNATURE_VERIFICATION_FAILED");
    Proc.Result byPython = JwtVerifiers.python(keys, forged, JwtVerifiers.BUNDLE);
    assertThat(byPython.exit()).isNotZero();
    assertThat(byPython.err()).contains("InvalidSignatureError");
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
