package io.turnstile.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.turnstile.testkit.Proc;
import io.turnstile.testkit.Seeder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
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
 * podman (containers/image, as CRI-O uses it) logs in and pulls through Turnstile. It runs with its
 * own storage (vfs), registries, containers.conf and auth files under a temporary directory,
 * touching nothing of the machine's; {@code --tls-verify=false} because Turnstile listens on plain
 * HTTP here. Each login has its own auth file.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PodmanE2E {
  private ClientStack stack;
  private Path dir;
  private Map<String, String> env;
  private ClientStack.Login license;

  @BeforeAll
  void start() throws Exception {
    Proc.require("podman");
    stack = ClientStack.start("podman");
    dir = stack.dir.resolve("podman");
    Files.createDirectories(dir.resolve("auth"));
    Files.writeString(dir.resolve("storage.conf"), """
        [storage]
        driver = "vfs"
        runroot = "%s"
        graphroot = "%s"
        """.formatted(dir.resolve("run"), dir.resolve("root")));
    Files.writeString(dir.resolve("registries.conf"), "unqualified-search-registries = []\n");
    Files.writeString(dir.resolve("containers.conf"), """
        [engine]
        cgroup_manager = "cgroupfs"
        events_logger = "file"
        events_logfile_path = "%s"
        tmp_dir = "%s"
        """.formatted(dir.resolve("events.log"), dir.resolve("tmp")));
    env = Map.of("CONTAINERS_STORAGE_CONF", dir.resolve("storage.conf").toString(),
        "CONTAINERS_REGISTRIES_CONF", dir.resolve("registries.conf").toString(),
        "CONTAINERS_CONF", dir.resolve("containers.conf").toString());
    license = stack.license("app", "1.0.0", "1.1.0");
  }

  @AfterAll
  void stop() {
    if (stack != null) stack.close();
  }

  /** podman with the auth file of {@code login}. */
  private Proc.Result podman(ClientStack.Login login, String stdin, String... args) {
    List<String> cmd = new ArrayList<>(List.of("podman"));
    cmd.addAll(List.of(args));
    Map<String, String> all = new HashMap<>(env);
    all.put("REGISTRY_AUTH_FILE", dir.resolve("auth").resolve(login.username() + ".json").toString());
    return Proc.run(cmd, all, stdin, Duration.ofMinutes(2));
  }

  private void login(ClientStack.Login login) {
    Proc.Result r = podman(login, login.key(), "login", "--tls-verify=false", "-u", login.username(), "--password-stdin",
        stack.host());
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.out()).contains("Login Succeeded!");
  }

  private Proc.Result pull(ClientStack.Login login, String... refAndFlags) {
    List<String> args = new ArrayList<>(List.of("pull", "--tls-verify=false"));
    args.addAll(List.of(refAndFlags));
    return podman(login, null, args.toArray(String[]::new));
  }

  private String inspect(ClientStack.Login login, String image, String format) {
    Proc.Result r = podman(login, null, "image", "inspect", "--format", format, image);
    assertThat(r.exit()).as(r.all()).isZero();
    return r.out().trim();
  }

  @Test
  @Order(1)
  void licenseKey_logsInAndPullsAGrantedTag() {
    login(license);
    Proc.Result pull = pull(license, stack.ref("vendor/app:1.0.0"));
    assertThat(pull.exit()).as(pull.all()).isZero();
    Seeder.Pushed v100 = stack.content.get("vendor/app", "1.0.0");
    assertThat(inspect(license, stack.ref("vendor/app:1.0.0"), "{{.Digest}} {{.Id}}"))
        .isEqualTo(v100.digest() + " " + v100.config().substring("sha256:".length()));
  }

  @Test
  @Order(2)
  void licenseKey_pullsAGrantedVersionByDigest() {
    Seeder.Pushed v110 = stack.content.get("vendor/app", "1.1.0");
    String ref = stack.host() + "/vendor/app@" + v110.digest();
    Proc.Result pull = pull(license, ref);
    assertThat(pull.exit()).as(pull.all()).isZero();
    assertThat(inspect(license, ref, "{{.Id}}")).isEqualTo(v110.config().substring("sha256:".length()));
  }

  @Test
  @Order(3)
  void licenseKey_pullsOnePlatformOfAMultiArchIndex() {
    ClientStack.Login multi = stack.license("multi", "1.0.0");
    login(multi);
    Proc.Result pull = pull(multi, "--platform", "linux/arm64", stack.ref("vendor/multi:1.0.0"));
    assertThat(pull.exit()).as(pull.all()).isZero();
    Seeder.Pushed arm = stack.content.get("vendor/multi", "1.0.0").platforms().get("linux/arm64");
    assertThat(inspect(multi, stack.ref("vendor/multi:1.0.0"), "{{.Architecture}} {{.Id}}"))
        .isEqualTo("arm64 " + arm.config().substring("sha256:".length()));
  }

  @Test
  @Order(4)
  void customerKey_logsInAndPullsFromEachLicense() {
    ClientStack.Login customer = stack.customerKey;
    login(customer);
    Proc.Result app = pull(customer, stack.ref("vendor/app:1.1.0"));
    assertThat(app.exit()).as(app.all()).isZero();
    Proc.Result multi = pull(customer, "--platform", "linux/amd64", stack.ref("vendor/multi:1.0.0"));
    assertThat(multi.exit()).as(multi.all()).isZero();
    assertThat(inspect(customer, stack.ref("vendor/multi:1.0.0"), "{{.Id}}")).isEqualTo(
        stack.content.get("vendor/multi", "1.0.0").platforms().get("linux/amd64").config().substring("sha256:".length()));
  }

  @Test
  @Order(5)
  void anUngrantedVersion_isRefusedWithTheLicensesReason() {
    Proc.Result tag = pull(license, stack.ref("vendor/app:2.0.0"));
    assertThat(tag.exit()).isNotZero();
    assertThat(tag.err()).contains("reading manifest 2.0.0 in " + stack.ref("vendor/app")
        + ": denied: your license does not grant tag 2.0.0 of vendor/app");
    String v200 = stack.content.get("vendor/app", "2.0.0").digest();
    Proc.Result digest = pull(license, stack.host() + "/vendor/app@" + v200);
    assertThat(digest.exit()).isNotZero();
    assertThat(digest.err()).contains("denied: your license does not grant " + v200 + " in vendor/app");
  }

  @Test
  @Order(6)
  void aLicenseRevokedWhileLoggedIn_isRefusedOnTheNextPull() {
    ClientStack.Login revoked = stack.license("app", "1.0.0");
    login(revoked);
    Proc.Result before = pull(revoked, stack.ref("vendor/app:1.0.0"));
    assertThat(before.exit()).as(before.all()).isZero();
    stack.revoke(revoked);
    Proc.Result after = pull(revoked, stack.ref("vendor/app:1.0.0"));
    assertThat(after.exit()).isNotZero();
    assertThat(after.err()).contains("unable to retrieve auth token: invalid username/password: unauthorized: the license has been revoked");
  }
}
