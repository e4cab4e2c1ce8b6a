package io.turnstile.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.turnstile.testkit.Distribution;
import io.turnstile.testkit.Proc;
import io.turnstile.testkit.Seeder;
import io.turnstile.testkit.TestCa;
import io.turnstile.testkit.TurnstileProcess;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
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
 * docker, skopeo and containerd pull through Turnstile over TLS with a certificate from a private
 * CA made with openssl, trusting it the way operators do: dockerd reads {@code
 * certs.d/<host:port>/ca.crt}, skopeo takes {@code --src-cert-dir}, ctr {@code --tlscacert}. No
 * client is told the registry is insecure: Turnstile listens on a non-loopback address, because
 * docker treats 127.0.0.0/8 as insecure and would not check the certificate there. The vendor's
 * CLI reaches the admin API over TLS with {@code TURNSTILE_ADMIN_CA}.
 *
 * <p>dockerd reads certs.d from {@code /etc/docker/certs.d} only (other places are for rootless
 * mode), so the suite writes its CA there under this run's own {@code host:port} and removes it
 * afterwards.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TlsClientsE2E {
  private static final Path DOCKER_CERTS = Path.of("/etc/docker/certs.d");

  private Path dir;
  private Distribution upstream;
  private Seeder content;
  private TestCa ca;
  private Daemons daemons;
  private TurnstileProcess turnstile;
  /** What the suite added under /etc/docker, to remove afterwards: the CA file, then new directories. */
  private final List<Path> created = new ArrayList<>();
  private String licenseId;
  private String key;

  @BeforeAll
  void start() throws Exception {
    Proc.require("skopeo");
    dir = Files.createTempDirectory("turnstile-e2e-tls");
    upstream = Distribution.basic(dir.resolve("upstream"), dir.resolve("storage"),
        Map.of("vendor", "vendor-secret")).start();
    content = new Seeder(upstream.url(), "vendor", "vendor-secret").seedAll();
    String address = nonLoopbackAddress();
    ca = TestCa.create(dir.resolve("ca"));
    TestCa.Issued certificate = ca.issue("turnstile", List.of(address, "127.0.0.1"));
    daemons = new Daemons(dir.resolve("daemons")).start();
    turnstile = new TurnstileProcess(dir.resolve("turnstile")).listenHost(address).tls(ca, certificate)
        .start(upstream.url(), "vendor", "vendor-secret");
    String customer = turnstile.cli("customer", "create", "--name", "Acme").get("id").asText();
    JsonNode l = turnstile.cli("license", "create", "--customer", customer, "--application", "app",
        "--version", "1.0.0", "--version", "1.1.0");
    licenseId = l.get("id").asText();
    key = l.get("key").asText();
  }

  @AfterAll
  void stop() throws IOException {
    if (turnstile != null) turnstile.close();
    if (daemons != null) daemons.close();
    if (upstream != null) upstream.close();
    for (int i = created.size() - 1; i >= 0; i--) {
      Files.deleteIfExists(created.get(i));
    }
  }

  /** An IPv4 address of this machine outside 127.0.0.0/8, where docker checks certificates. */
  private static String nonLoopbackAddress() throws SocketException {
    for (NetworkInterface nic : NetworkInterface.networkInterfaces().toList()) {
      if (!nic.isUp() || nic.isLoopback()) {
        continue;
      }
      for (InetAddress a : nic.inetAddresses().toList()) {
        if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
          return a.getHostAddress();
        }
      }
    }
    throw new AssertionError("the TLS suite needs an IPv4 address outside 127.0.0.0/8: docker treats loopback"
        + " registries as insecure and would not check the certificate");
  }

  private String ref(String repoAndTag) {
    return turnstile.host() + "/" + repoAndTag;
  }

  private Proc.Result dockerLogin() {
    return daemons.dockerWithInput(key, "login", "-u", licenseId, "--password-stdin", turnstile.host());
  }

  private Proc.Result skopeo(String... args) {
    List<String> cmd = new ArrayList<>(List.of("skopeo"));
    cmd.addAll(List.of(args));
    return Proc.run(cmd, Map.of(), null, Duration.ofMinutes(2));
  }

  /** Creates {@code path} and the directories above it that are missing, remembering them for removal. */
  private void createDirectories(Path path) throws IOException {
    if (Files.isDirectory(path)) {
      return;
    }
    createDirectories(path.getParent());
    Files.createDirectory(path);
    created.add(path);
  }

  @Test
  @Order(1)
  void docker_withoutTheCa_refusesTheCertificate() {
    Proc.Result login = dockerLogin();
    assertThat(login.exit()).isNotZero();
    assertThat(login.all()).containsAnyOf("certificate signed by unknown authority", "x509");
  }

  @Test
  @Order(2)
  void docker_withTheCaInCertsD_logsInAndPullsOverTls() throws Exception {
    Path hostDir = DOCKER_CERTS.resolve(turnstile.host());
    createDirectories(hostDir);
    Files.copy(ca.certificate(), hostDir.resolve("ca.crt"), StandardCopyOption.REPLACE_EXISTING);
    created.add(hostDir.resolve("ca.crt"));

    Proc.Result login = dockerLogin();
    assertThat(login.exit()).as(login.all()).isZero();
    Proc.Result pull = daemons.docker("pull", ref("vendor/app:1.0.0"));
    assertThat(pull.exit()).as(pull.all()).isZero();
    Proc.Result digests = daemons.docker("image", "inspect", "--format", "{{range .RepoDigests}}{{.}} {{end}}",
        ref("vendor/app:1.0.0"));
    assertThat(digests.out()).contains(content.get("vendor/app", "1.0.0").digest());
    Proc.Result denied = daemons.docker("pull", ref("vendor/app:2.0.0"));
    assertThat(denied.exit()).isNotZero();
    assertThat(denied.all()).contains("license");
  }

  @Test
  @Order(3)
  void skopeo_withSrcCertDir_copiesOverTls_andRefusesWithoutIt() throws Exception {
    Path certDir = dir.resolve("skopeo-certs");
    Files.createDirectories(certDir);
    Files.copy(ca.certificate(), certDir.resolve("ca.crt"));
    Path oci = dir.resolve("skopeo-oci");
    String creds = licenseId + ":" + key;

    Proc.Result copy = skopeo("copy", "--src-cert-dir", certDir.toString(), "--src-creds", creds,
        "docker://" + ref("vendor/app:1.1.0"), "oci:" + oci + ":1.1.0");
    // An empty directory of its own: by default skopeo would also read /etc/docker/certs.d.
    Path noCerts = Files.createDirectories(dir.resolve("skopeo-no-certs"));
    Proc.Result untrusted = skopeo("inspect", "--cert-dir", noCerts.toString(), "--creds", creds,
        "docker://" + ref("vendor/app:1.1.0"));

    assertThat(copy.exit()).as(copy.all()).isZero();
    assertThat(Files.readString(oci.resolve("index.json"))).contains(content.get("vendor/app", "1.1.0").digest());
    assertThat(untrusted.exit()).isNotZero();
    assertThat(untrusted.all()).containsAnyOf("certificate signed by unknown authority", "x509");
  }

  @Test
  @Order(4)
  void containerd_withTlsCaCert_pullsOverTls() {
    Proc.Result pull = daemons.ctr("images", "pull", "--tlscacert", ca.certificate().toString(),
        "--user", licenseId + ":" + key, ref("vendor/app:1.1.0"));
    assertThat(pull.exit()).as(pull.all()).isZero();
    assertThat(daemons.ctr("images", "ls").out()).contains(content.get("vendor/app", "1.1.0").digest());
  }
}
