package io.turnstile.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.turnstile.testkit.Proc;
import io.turnstile.testkit.Seeder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Helm 3 (oras-go v1) and Helm 4 (oras-go v2) log in and pull charts through Turnstile, as
 * customers do with {@code helm registry login} and {@code helm pull oci://...}. e2e/run.sh puts
 * them on the PATH as {@code helm3} and {@code helm}. Each login has its own registry config and
 * Helm homes under a temporary directory. Turnstile listens on plain HTTP here: Helm 3 logs in with
 * {@code --insecure}, Helm 4 with {@code --plain-http}; both pull with {@code --plain-http}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HelmClientsE2E {
  /**
   * A Helm client: its program, the flag its {@code registry login} takes for plain HTTP, and what
   * it says (after {@code Error: }, with {@code HOST} for Turnstile's address) when a pull of an
   * ungranted version is refused and when its license has been revoked.
   */
  record Helm(String name, String program, String plainHttpLogin, String refused, String revoked) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Helm> helms() {
    return Stream.of(
        // oras-go v1 asks with HEAD: a HEAD answer has no body, so Turnstile's reason never shows.
        new Helm("Helm 3", "helm3", "--insecure",
            "unexpected status from HEAD request to http://HOST/v2/charts/app/manifests/0.2.0: 403 Forbidden",
            "failed to authorize: failed to fetch oauth token: unexpected status from GET request to"
                + " http://HOST/token?scope=repository%3Acharts%2Fapp%3Apull&service=turnstile: 401 Unauthorized"),
        // oras-go v2 fetches with GET and shows the error's message.
        new Helm("Helm 4", "helm", "--plain-http",
            "GET \"http://HOST/v2/charts/app/manifests/0.2.0\": response status code 403: denied: your license does"
                + " not grant tag 0.2.0 of charts/app",
            "GET \"http://HOST/token?scope=repository%3Acharts%2Fapp%3Apull&service=turnstile\": response status code"
                + " 401: unauthorized: the license has been revoked"));
  }

  private static final String BUILD_METADATA = "0.3.0+build.7";

  private ClientStack stack;
  private ClientStack.Login license;

  @BeforeAll
  void start() throws Exception {
    helms().forEach(h -> Proc.require(h.program()));
    stack = ClientStack.start("helm");
    stack.content.seedChart("charts/app", BUILD_METADATA);
    license = stack.license("app", "0.1.0", BUILD_METADATA);
  }

  @AfterAll
  void stop() {
    if (stack != null) stack.close();
  }

  /** {@code helm} as {@code login}'s own user: its registry config and Helm homes. */
  private Proc.Result helm(Helm helm, ClientStack.Login login, String stdin, String... args) {
    Path home = stack.dir.resolve("helm").resolve(helm.program() + "-" + login.username());
    List<String> cmd = new ArrayList<>(List.of(Proc.require(helm.program())));
    cmd.addAll(List.of(args));
    return Proc.run(cmd, Map.of("HELM_REGISTRY_CONFIG", home.resolve("registry/config.json").toString(),
        "HELM_CACHE_HOME", home.resolve("cache").toString(), "HELM_CONFIG_HOME", home.resolve("config").toString(),
        "HELM_DATA_HOME", home.resolve("data").toString()), stdin, Duration.ofMinutes(2));
  }

  private void login(Helm helm, ClientStack.Login login) {
    Proc.Result r = helm(helm, login, login.key(), "registry", "login", helm.plainHttpLogin(), "-u", login.username(),
        "--password-stdin", stack.host());
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.all()).contains("Login Succeeded");
  }

  /** {@code helm pull oci://HOST/charts/app --version V --plain-http -d DEST}. */
  private Proc.Result pull(Helm helm, ClientStack.Login login, String version, Path dest) {
    return helm(helm, login, null, "pull", "oci://" + stack.ref("charts/app"), "--version", version, "--plain-http",
        "-d", dest.toString());
  }

  /** Pulls {@code version} and checks what Helm says and saves against what the vendor pushed. */
  private void pullsTheChart(Helm helm, ClientStack.Login login, String version) throws Exception {
    Path dest = Files.createTempDirectory(stack.dir, "charts");
    Proc.Result r = pull(helm, login, version, dest);
    assertThat(r.exit()).as(r.all()).isZero();
    Seeder.Pushed chart = stack.content.get("charts/app", version);
    assertThat(r.all()).contains("Pulled: " + stack.ref("charts/app:" + version.replace('+', '_')))
        .contains("Digest: " + chart.digest());
    Path tgz = dest.resolve("app-" + version + ".tgz");
    assertThat(tgz).exists();
    assertThat(Seeder.sha256(Files.readAllBytes(tgz))).isEqualTo(chart.layers().get(0));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("helms")
  @Order(1)
  void licenseKey_logsInAndPullsAGrantedChart(Helm helm) throws Exception {
    login(helm, license);
    pullsTheChart(helm, license, "0.1.0");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("helms")
  @Order(2)
  void licenseKey_pullsAGrantedVersionWithBuildMetadata(Helm helm) throws Exception {
    pullsTheChart(helm, license, BUILD_METADATA);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("helms")
  @Order(3)
  void customerKey_logsInAndPullsAGrantedChart(Helm helm) throws Exception {
    login(helm, stack.customerKey);
    pullsTheChart(helm, stack.customerKey, "0.1.0");
    pullsTheChart(helm, stack.customerKey, BUILD_METADATA);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("helms")
  @Order(4)
  void anUngrantedVersion_isRefusedWithTheClientsError(Helm helm) throws Exception {
    Proc.Result r = pull(helm, license, "0.2.0", Files.createTempDirectory(stack.dir, "charts"));
    assertThat(r.exit()).isNotZero();
    assertThat(r.err()).contains("Error: ").contains(helm.refused().replace("HOST", stack.host()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("helms")
  @Order(5)
  void aLicenseRevokedWhileLoggedIn_isRefusedOnTheNextPull(Helm helm) throws Exception {
    ClientStack.Login revoked = stack.license("app", "0.1.0");
    login(helm, revoked);
    pullsTheChart(helm, revoked, "0.1.0");
    stack.revoke(revoked);
    Proc.Result r = pull(helm, revoked, "0.1.0", Files.createTempDirectory(stack.dir, "charts"));
    assertThat(r.exit()).isNotZero();
    assertThat(r.err()).contains(helm.revoked().replace("HOST", stack.host()));
  }
}
