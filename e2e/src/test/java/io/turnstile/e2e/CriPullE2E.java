package io.turnstile.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.turnstile.testkit.Proc;
import io.turnstile.testkit.Seeder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The kubelet's pull: containerd's CRI {@code PullImage} with the credentials of an
 * imagePullSecret, which {@code turnstile license pull-secret} made and the kubelet decodes (the
 * {@code auths} entry of the image's registry host, its {@code auth} split at the first colon).
 * containerd asks with HEAD first, so a refusal reaches the node as {@code 403 Forbidden} without
 * Turnstile's reason.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CriPullE2E {
  private final ObjectMapper json = new ObjectMapper();
  private ClientStack stack;
  private ContainerdCri containerd;
  private CriImageService cri;
  private ClientStack.Login license;

  @BeforeAll
  void start() throws Exception {
    stack = ClientStack.start("cri");
    containerd = new ContainerdCri(stack.dir.resolve("containerd"));
    containerd.start(stack.host());
    cri = new CriImageService(containerd.socket);
    license = stack.license("app", "1.0.0", "1.1.0");
  }

  @AfterAll
  void stop() {
    if (cri != null) cri.close();
    if (containerd != null) containerd.close();
    if (stack != null) stack.close();
  }

  /** What the kubelet hands the runtime for {@code license}: the pull secret's entry for the registry host, decoded. */
  private String[] pullSecretCredentials(ClientStack.Login license) throws Exception {
    Proc.Result secret = stack.turnstile.cliRaw(null, Map.of("TURNSTILE_LICENSE_KEY", license.key()),
        "license", "pull-secret", license.licenseId());
    assertThat(secret.exit()).as(secret.all()).isZero();
    JsonNode s = json.readTree(secret.out());
    assertThat(s.get("type").asText()).isEqualTo("kubernetes.io/dockerconfigjson");
    JsonNode config = json.readTree(Base64.getDecoder().decode(s.get("data").get(".dockerconfigjson").asText()));
    JsonNode entry = config.get("auths").get(stack.host());
    assertThat(entry).as("an auths entry for " + stack.host()).isNotNull();
    String auth = new String(Base64.getDecoder().decode(entry.get("auth").asText()), StandardCharsets.UTF_8);
    int colon = auth.indexOf(':');
    return new String[] {auth.substring(0, colon), auth.substring(colon + 1)};
  }

  private CriImageService.Pull pull(String image, String[] credentials) {
    return cri.pull(image, credentials[0], credentials[1]);
  }

  private static String hostPlatform() {
    String arch = System.getProperty("os.arch");
    return "linux/" + (arch.equals("aarch64") ? "arm64" : arch.equals("x86_64") ? "amd64" : arch);
  }

  @Test
  @Order(1)
  void pullSecretOfALicense_pullsAGrantedTag() throws Exception {
    String[] credentials = pullSecretCredentials(license);
    assertThat(credentials[0]).isEqualTo(license.username());
    CriImageService.Pull p = pull(stack.ref("vendor/app:1.0.0"), credentials);
    assertThat(p.ok()).as(p.error() + "; see " + containerd.log()).isTrue();
    assertThat(p.imageRef()).isEqualTo(stack.content.get("vendor/app", "1.0.0").config());
  }

  @Test
  @Order(2)
  void pullSecretOfALicense_pullsAGrantedVersionByDigest() throws Exception {
    Seeder.Pushed v110 = stack.content.get("vendor/app", "1.1.0");
    CriImageService.Pull p = pull(stack.host() + "/vendor/app@" + v110.digest(), pullSecretCredentials(license));
    assertThat(p.ok()).as(p.error()).isTrue();
    assertThat(p.imageRef()).isEqualTo(v110.config());
  }

  @Test
  @Order(3)
  void pullSecretOfALicense_pullsTheNodesPlatformOfAMultiArchIndex() throws Exception {
    ClientStack.Login multi = stack.license("multi", "1.0.0");
    CriImageService.Pull p = pull(stack.ref("vendor/multi:1.0.0"), pullSecretCredentials(multi));
    assertThat(p.ok()).as(p.error()).isTrue();
    assertThat(p.imageRef()).isEqualTo(stack.content.get("vendor/multi", "1.0.0").platforms().get(hostPlatform()).config());
  }

  @Test
  @Order(4)
  void customerKey_pullsFromEachLicense() {
    String[] credentials = {stack.customerKey.username(), stack.customerKey.key()};
    CriImageService.Pull app = pull(stack.ref("vendor/app:1.1.0"), credentials);
    assertThat(app.ok()).as(app.error()).isTrue();
    assertThat(app.imageRef()).isEqualTo(stack.content.get("vendor/app", "1.1.0").config());
    CriImageService.Pull multi = pull(stack.ref("vendor/multi:1.0.0"), credentials);
    assertThat(multi.ok()).as(multi.error()).isTrue();
  }

  @Test
  @Order(5)
  void anUngrantedVersion_isRefusedWith403Forbidden() throws Exception {
    CriImageService.Pull p = pull(stack.ref("vendor/app:2.0.0"), pullSecretCredentials(license));
    assertThat(p.ok()).isFalse();
    // containerd: "failed to resolve reference ...: pulling from host H failed with status code
    // [manifests 2.0.0]: 403 Forbidden"; the reason is in the body of a GET, which it never sends.
    assertThat(p.error()).contains("[manifests 2.0.0]: 403 Forbidden");
  }

  @Test
  @Order(6)
  void aLicenseRevokedAfterAPull_isRefusedOnTheNextPull() throws Exception {
    ClientStack.Login revoked = stack.license("app", "1.0.0");
    String[] credentials = pullSecretCredentials(revoked);
    CriImageService.Pull before = pull(stack.ref("vendor/app:1.0.0"), credentials);
    assertThat(before.ok()).as(before.error()).isTrue();
    stack.revoke(revoked);
    CriImageService.Pull after = pull(stack.ref("vendor/app:1.0.0"), credentials);
    assertThat(after.ok()).isFalse();
    // "failed to authorize: failed to fetch oauth token: unexpected status: 401 Unauthorized"
    assertThat(after.error()).contains("failed to fetch oauth token").contains("401 Unauthorized");
  }
}
