package io.turnstile.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.turnstile.testkit.Distribution;
import io.turnstile.testkit.Proc;
import io.turnstile.testkit.Seeder;
import io.turnstile.testkit.TurnstileProcess;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * A license that follows a product line: the vendor pushes a patch release to a real distribution
 * upstream, and a customer holding {@code 2.x} pulls it with docker at once, with no license edit,
 * while a customer holding exactly {@code 2.4.0} cannot; a patch asked for before its push is
 * pullable seconds after it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RangeGrantsE2E {
  private Path dir;
  private Distribution upstream;
  private Daemons daemons;
  private TurnstileProcess turnstile;
  private Seeder content;
  private JsonNode line;
  private JsonNode pinned;

  @BeforeAll
  void start() throws Exception {
    Proc.require("skopeo");
    dir = Files.createTempDirectory("turnstile-e2e-ranges");
    upstream = Distribution.basic(dir.resolve("upstream"), dir.resolve("storage"),
        Map.of("vendor", "vendor-secret")).start();
    content = new Seeder(upstream.url(), "vendor", "vendor-secret").seedAll();
    content.release("vendor/app", "2.4.0", 240);
    daemons = new Daemons(dir.resolve("daemons")).start();
    turnstile = new TurnstileProcess(dir.resolve("turnstile")).start(upstream.url(), "vendor", "vendor-secret");
    String customer = turnstile.cli("customer", "create", "--name", "Acme").get("id").asText();
    line = turnstile.cli("license", "create", "--customer", customer, "--application", "app", "--range", "2.x");
    String other = turnstile.cli("customer", "create", "--name", "Globex").get("id").asText();
    pinned = turnstile.cli("license", "create", "--customer", other, "--application", "app", "--version", "2.4.0");
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

  private void dockerLogin(JsonNode license) {
    Proc.Result r = daemons.dockerWithInput(license.get("key").asText(), "login", "-u", license.get("id").asText(),
        "--password-stdin", turnstile.host());
    assertThat(r.exit()).as(r.all()).isZero();
  }

  private Proc.Result dockerPull(String image) {
    return daemons.docker("pull", ref(image));
  }

  private String repoDigest(String image) {
    Proc.Result r = daemons.docker("image", "inspect", "--format", "{{range .RepoDigests}}{{.}} {{end}}", ref(image));
    assertThat(r.exit()).as(r.all()).isZero();
    return r.out().trim();
  }

  private List<String> listTags(JsonNode license) throws Exception {
    Proc.Result r = Proc.run(List.of("skopeo", "list-tags", "--tls-verify=false", "--creds",
        license.get("id").asText() + ":" + license.get("key").asText(), "docker://" + ref("vendor/app")),
        Map.of(), null, Duration.ofMinutes(2));
    assertThat(r.exit()).as(r.all()).isZero();
    List<String> tags = new ArrayList<>();
    new ObjectMapper().readTree(r.out()).get("Tags").forEach(t -> tags.add(t.asText()));
    return tags;
  }

  @Test
  @Order(1)
  void theLicenseShowsItsGrantsKind() {
    assertThat(line.get("grants").toString()).isEqualTo("[{\"kind\":\"range\",\"value\":\"2.x\",\"includePrerelease\":false}]");
    JsonNode shown = turnstile.cli("license", "show", pinned.get("id").asText());
    assertThat(shown.get("grants").toString()).isEqualTo("[{\"kind\":\"exact\",\"value\":\"2.4.0\"}]");
    assertThat(shown.get("versions").toString()).isEqualTo("[\"2.4.0\"]");
  }

  @Test
  @Order(2)
  void aRangeCustomer_pullsAndListsExactlyThe2Releases() throws Exception {
    dockerLogin(line);
    Proc.Result pull = dockerPull("vendor/app:2.4.0");
    assertThat(pull.exit()).as(pull.all()).isZero();
    assertThat(repoDigest("vendor/app:2.4.0")).contains(content.get("vendor/app", "2.4.0").digest());
    assertThat(listTags(line)).containsExactlyInAnyOrder("2.0.0", "2.4.0");
    Proc.Result outside = dockerPull("vendor/app:1.1.0");
    assertThat(outside.exit()).isNotZero();
    assertThat(outside.all()).contains("license");
  }

  @Test
  @Order(3)
  void aNewPatchRelease_isPulledUnder2x_withNoLicenseEdit_butNotUnderAnExact240() throws Exception {
    Seeder.Pushed patch = content.release("vendor/app", "2.4.1", 241);

    Proc.Result pull = dockerPull("vendor/app:2.4.1");
    assertThat(pull.exit()).as(pull.all()).isZero();
    assertThat(repoDigest("vendor/app:2.4.1")).contains(patch.digest());
    assertThat(listTags(line)).containsExactlyInAnyOrder("2.0.0", "2.4.0", "2.4.1");

    dockerLogin(pinned);
    Proc.Result refused = dockerPull("vendor/app:2.4.1");
    assertThat(refused.exit()).isNotZero();
    assertThat(refused.all()).contains("license");
    assertThat(listTags(pinned)).containsExactly("2.4.0");
    Proc.Result allowed = dockerPull("vendor/app:2.4.0");
    assertThat(allowed.exit()).as(allowed.all()).isZero();
  }

  @Test
  @Order(4)
  void aPatchAskedForBeforeItsPush_isPulledUnder2x_withinSecondsOfThePush() throws Exception {
    dockerLogin(line);
    Proc.Result early = dockerPull("vendor/app:2.4.2");
    assertThat(early.exit()).as(early.all()).isNotZero();
    assertThat(early.all()).contains("manifest unknown");

    Seeder.Pushed patch = content.release("vendor/app", "2.4.2", 242);
    Proc.await("2.4.2 pullable after its push", Duration.ofSeconds(10), () -> dockerPull("vendor/app:2.4.2").exit() == 0);
    assertThat(repoDigest("vendor/app:2.4.2")).contains(patch.digest());
  }
}
