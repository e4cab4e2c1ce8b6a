package io.turnstile.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.turnstile.proxy.testing.ClosedPort;
import io.turnstile.proxy.testing.CliRun;
import io.turnstile.proxy.testing.TestTurnstile;
import io.turnstile.store.Access;
import io.turnstile.store.Refusal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI against a running server, as a vendor would use it. */
class CliIT {
  @TempDir Path dir;
  private TestTurnstile ts;
  private Path tokenFile;
  private final ObjectMapper json = new ObjectMapper();

  @BeforeEach
  void start() throws Exception {
    ts = new TestTurnstile(dir, "http://127.0.0.1:9");
    tokenFile = dir.resolve("admin-token");
    Files.writeString(tokenFile, TestTurnstile.ADMIN_TOKEN + "\n");
  }

  @AfterEach
  void stop() {
    ts.close();
  }

  private CliRun run(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    if (!args[0].equals("serve") && !args[0].equals("--help")) {
      all.addAll(List.of("--admin-url", ts.adminUrl(), "--admin-token-file", tokenFile.toString()));
    }
    return runRaw(all.toArray(String[]::new));
  }

  static CliRun runRaw(String... args) {
    return CliRun.of(args);
  }

  private JsonNode jsonOf(CliRun r) throws Exception {
    assertThat(r.exit()).as(r.err()).isZero();
    return json.readTree(r.out());
  }

  @Test
  void webhookEndpoints_areManagedFromTheCli_theSecretShownOnlyWhenMade() throws Exception {
    CliRun made = run("webhook", "create", "--url", "https://hooks.example.com/turnstile", "--event",
        "license.created,license.revoked", "--description", "CRM");
    assertThat(made.exit()).as(made.err()).isZero();
    assertThat(made.out()).contains("signing secret (shown once): whsec_").contains("license.created,license.revoked");
    JsonNode list = jsonOf(run("webhook", "list", "-o", "json"));
    String id = list.get("webhooks").get(0).get("id").asText();
    assertThat(list.toString()).doesNotContain("whsec_");
    JsonNode off = jsonOf(run("webhook", "update", id, "--enabled", "false", "-o", "json"));
    assertThat(off.get("enabled").asBoolean()).isFalse();
    CliRun bad = run("webhook", "create", "--url", "http://hooks.example.com/", "--event", "license.created");
    assertThat(bad.exit()).isNotZero();
    assertThat(bad.err()).contains("https");
    CliRun unknown = run("webhook", "create", "--url", "https://hooks.example.com/", "--event", "license.made");
    assertThat(unknown.err()).contains("events[0]").contains("not an event type");
    assertThat(run("webhook", "test", id).out()).startsWith("queued msg_");
    // The delivery is added by the poller after the event's commit: wait for it.
    io.turnstile.store.testing.Eventually.until("the test event is fanned out to the endpoint",
        () -> run("webhook", "deliveries", id).out().contains("webhook.test"));
    assertThat(run("webhook", "delete", id).out()).contains("deleted " + id);
  }

  @Test
  void aPersonalApiToken_drivesTheCli_itsChangesCarryItsName_andOnceRevokedItIsRefused() throws Exception {
    TestTurnstile.Answer made = ts.admin("POST", "/admin/v1/api-tokens",
        "{\"name\":\"billing\",\"role\":\"editor\",\"expiresAt\":\"2099-01-01\"}");
    assertThat(made.status()).as(made.raw()).isEqualTo(201);
    Files.writeString(tokenFile, made.body().get("token").asText() + "\n");

    String customer = jsonOf(run("customer", "create", "--name", "Initech", "-o", "json")).get("id").asText();
    CliRun activity = run("activity", "--customer", customer);
    assertThat(activity.exit()).as(activity.err()).isZero();
    assertThat(activity.out()).contains("customer.created", "api-token:billing (admin-token)");
    CliRun csv = run("activity", "--actor", "api-token:billing (admin-token)", "-o", "csv");
    assertThat(csv.out()).startsWith("at,actor,action,customerId,licenseId,detail\r\n").contains(customer);
    CliRun signingKeys = run("signing-key", "list");
    assertThat(signingKeys.exit()).isNotZero();
    assertThat(signingKeys.err()).contains("needs the admin role");

    ts.admin("DELETE", "/admin/v1/api-tokens/" + made.body().get("id").asText(), null);
    CliRun refused = run("customer", "list");
    assertThat(refused.exit()).isNotZero();
    assertThat(refused.err()).contains("unauthorized");
  }

  @Test
  void health_exitsZeroWhenThePublicListenerAnswers_andOneWhenNothingDoes() {
    CliRun ok = runRaw("health", "--url", ts.registryUrl() + "/healthz");
    assertThat(ok.exit()).as(ok.err()).isZero();
    assertThat(ok.out().strip()).isEqualTo("ok");
    CliRun down = runRaw("health", "--url", "http://127.0.0.1:9/healthz", "--timeout", "1s");
    assertThat(down.exit()).isEqualTo(1);
    assertThat(down.err()).contains("no answer from http://127.0.0.1:9/healthz");
  }

  @Test
  void help_listsTheCommands() {
    CliRun r = runRaw("--help");
    assertThat(r.exit()).isZero();
    assertThat(r.out()).contains("serve", "customer", "license", "health");
  }

  @Test
  void vendorWorkflow_createGrantRevokeShow() throws Exception {
    String customer = jsonOf(run("customer", "create", "--name", "Acme", "-o", "json")).get("id").asText();
    CliRun table = run("customer", "list");
    assertThat(table.out()).contains("ID", "NAME", customer, "Acme");

    JsonNode created = jsonOf(run("license", "create", "--customer", customer, "--application", "app",
        "--version", "1.0.0", "--version", "1.1.0", "--expires", "2030-01-01", "-o", "json"));
    String id = created.get("id").asText();
    String key = created.get("key").asText();
    assertThat(created.get("expiresAt").asText()).isEqualTo("2030-01-01T00:00:00Z");
    assertThat(ts.server.store().authorize(id, key)).isInstanceOf(Access.class);

    CliRun granted = run("license", "grant", id, "--version", "2.0.0");
    assertThat(granted.exit()).as(granted.err()).isZero();
    assertThat(granted.out()).contains("exact 1.0.0, exact 1.1.0, exact 2.0.0");
    assertThat(((Access) ts.server.store().authorize(id, key)).allowsTag("vendor/app", "2.0.0")).isTrue();

    assertThat(run("license", "revoke", id, "--version", "1.0.0").exit()).isZero();
    assertThat(((Access) ts.server.store().authorize(id, key)).allowsTag("vendor/app", "1.0.0")).isFalse();

    assertThat(run("license", "update", id, "--expires", "2001-01-01T00:00:00Z").exit()).isZero();
    assertThat(ts.server.store().authorize(id, key)).isEqualTo(Refusal.EXPIRED);

    CliRun shown = run("license", "show", id);
    assertThat(shown.out()).contains("license.created", "license.versions_granted", "license.version_revoked",
        "license.expiry_changed", "admin-token");
    assertThat(shown.out()).doesNotContain(key);

    assertThat(run("license", "list", "--customer", customer).out()).contains(id, "expired");

    CliRun rotated = run("license", "rotate-key", id, "-o", "json");
    String fresh = jsonOf(rotated).get("key").asText();
    assertThat(ts.server.store().authorize(id, key)).isEqualTo(Refusal.BAD_CREDENTIALS);

    assertThat(run("license", "revoke", id, "--license").exit()).isZero();
    assertThat(ts.server.store().authorize(id, fresh)).isEqualTo(Refusal.REVOKED);
  }

  @Test
  void aCustomerIsRenamed_andALicenseMovedToAnother_fromTheCli() throws Exception {
    String acme = jsonOf(run("customer", "create", "--name", "Acme", "-o", "json")).get("id").asText();
    String initech = jsonOf(run("customer", "create", "--name", "Initech", "-o", "json")).get("id").asText();
    JsonNode created = jsonOf(run("license", "create", "--customer", acme, "--application", "app", "--version", "1.0.0",
        "-o", "json"));
    String id = created.get("id").asText();

    CliRun renamed = run("customer", "rename", acme, "--name", "Acme Corporation");
    assertThat(renamed.exit()).as(renamed.err()).isZero();
    assertThat(renamed.out()).contains(acme, "Acme Corporation");

    CliRun moved = run("license", "move", id, "--customer", initech);
    assertThat(moved.exit()).as(moved.err()).isZero();
    assertThat(ts.server.store().license(new io.turnstile.store.LicenseId(id)).customerId().value()).isEqualTo(initech);
    assertThat(run("license", "show", id).out()).contains("license.moved", acme + " -> " + initech);
    assertThat(((Access) ts.server.store().authorize(id, created.get("key").asText())).allowsTag("vendor/app", "1.0.0"))
        .isTrue();

    CliRun nowhere = run("license", "move", id, "--customer", "cus_nobody");
    assertThat(nowhere.exit()).isNotZero();
    assertThat(nowhere.err()).contains("customerId").contains("no customer cus_nobody");
  }

  @Test
  void ranges_grantRevokeAndShowTheirKind() throws Exception {
    String customer = jsonOf(run("customer", "create", "--name", "Acme", "-o", "json")).get("id").asText();
    CliRun created = run("license", "create", "--customer", customer, "--application", "app", "--version", "1.0.0",
        "--range", "2.x", "--include-prerelease", "--keep-released-before-expiry", "--expires", "2030-01-01");
    assertThat(created.exit()).as(created.err()).isZero();
    assertThat(created.out()).contains("GRANTS", "exact 1.0.0, range 2.x (+pre)", "(keeps earlier releases)");
    String id = created.out().lines().filter(line -> line.startsWith("username: ")).findFirst().orElseThrow()
        .substring("username: ".length());

    CliRun all = run("license", "grant", id, "--range", "*", "--range", ">=3.0.0 <3.5.0");
    assertThat(all.exit()).as(all.err()).isZero();
    assertThat(all.out()).contains("exact 1.0.0, all *, range 2.x (+pre), range >=3.0.0 <3.5.0");

    assertThat(run("license", "revoke", id, "--range", ">=3.0.0 <3.5.0", "--range", "*").exit()).isZero();
    assertThat(run("license", "update", id, "--keep-released-before-expiry", "false").exit()).isZero();
    JsonNode shown = jsonOf(run("license", "show", id, "-o", "json"));
    assertThat(shown.get("grants")).extracting(g -> g.get("kind").asText()).containsExactly("exact", "range");
    assertThat(shown.get("keepReleasedBeforeExpiry").asBoolean()).isFalse();

    CliRun bad = run("license", "grant", id, "--range", "two");
    assertThat(bad.exit()).isNotZero();
    assertThat(bad.err()).contains("ranges[0]", "'two' is not a version range");
    assertThat(run("license", "grant", id, "--version", "3.0.0", "--include-prerelease").exit()).isNotZero();
  }

  @Test
  void errors_areOneLineWithNonZeroExit() {
    CliRun r = run("license", "create", "--customer", "cus_nope", "--application", "app");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err().strip()).isEqualTo("turnstile: error: customerId: no customer cus_nope");

    CliRun badDate = run("license", "update", "lic_x", "--expires", "someday");
    assertThat(badDate.exit()).isEqualTo(1);
    assertThat(badDate.err()).contains("--expires");

    CliRun wrongToken = runRaw("customer", "list", "--admin-url", ts.adminUrl(), "--admin-token-file", dir.resolve("missing").toString());
    assertThat(wrongToken.exit()).isEqualTo(1);
    assertThat(wrongToken.err()).contains("cannot read");
  }

  @Test
  void unreachableAdminApi_saysSo() throws Exception {
    CliRun r;
    try (ClosedPort closed = new ClosedPort()) {
      r = runRaw("customer", "list", "--admin-url", "http://127.0.0.1:" + closed.port(), "--admin-token-file",
          tokenFile.toString());
    }
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("cannot reach the admin API");
  }

  @Test
  void pullSecret_readsTheKeyFromStdin() throws Exception {
    String customer = jsonOf(run("customer", "create", "--name", "Acme", "-o", "json")).get("id").asText();
    JsonNode created = jsonOf(run("license", "create", "--customer", customer, "--application", "app", "-o", "json"));
    var in = System.in;
    try {
      System.setIn(new java.io.ByteArrayInputStream((created.get("key").asText() + "\n").getBytes(StandardCharsets.UTF_8)));
      JsonNode secret = jsonOf(run("license", "pull-secret", created.get("id").asText(), "--name", "regcred"));
      assertThat(secret.get("metadata").get("name").asText()).isEqualTo("regcred");
      String config = new String(Base64.getDecoder().decode(secret.get("data").get(".dockerconfigjson").asText()), StandardCharsets.UTF_8);
      assertThat(config).contains("registry.test:5443", created.get("id").asText());
    } finally {
      System.setIn(in);
    }
  }

  @Test
  void pullSecret_forARevokedLicense_isAOneLineError() throws Exception {
    String customer = jsonOf(run("customer", "create", "--name", "Acme", "-o", "json")).get("id").asText();
    JsonNode created = jsonOf(run("license", "create", "--customer", customer, "--application", "app", "-o", "json"));
    String id = created.get("id").asText();
    assertThat(run("license", "revoke", id, "--license").exit()).isZero();
    var in = System.in;
    try {
      System.setIn(new java.io.ByteArrayInputStream((created.get("key").asText() + "\n").getBytes(StandardCharsets.UTF_8)));
      CliRun r = run("license", "pull-secret", id);
      assertThat(r.exit()).isEqualTo(1);
      assertThat(r.out()).isEmpty();
      assertThat(r.err()).isEqualTo("turnstile: error: license " + id + " is revoked: pulls with it are refused"
          + System.lineSeparator());
    } finally {
      System.setIn(in);
    }
  }

  @Test
  void serveWithABadConfig_exitsNonZeroNamingTheField() throws Exception {
    Path bad = dir.resolve("turnstile.yaml");
    Files.writeString(bad, "admin:\n  token: 0123456789abcdefgh\nupstreams:\n  - name: u\n    url: not-a-url\n");
    CliRun r = runRaw("serve", "--config", bad.toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err().strip()).isEqualTo("turnstile: error: turnstile.yaml: upstreams[0].url: not an absolute http(s) URL");
  }

  @Test
  void serveWithAnEndOfLifeRangeItCannotRead_exitsNonZeroNamingTheEntry() throws Exception {
    Path bad = dir.resolve("eol.yaml");
    Files.writeString(bad, """
        server:
          listen: 127.0.0.1:0
        admin:
          listen: 127.0.0.1:0
          token: test-admin-token-0123456789
        token:
          signingKey: %1$s/eol-signing-key.pem
        store:
          url: jdbc:sqlite:%1$s/eol.db
          encryptionKeyFile: %1$s/eol-store.key
        upstreams:
          - name: vendor
            url: http://127.0.0.1:9
        applications:
          - name: app
            endOfLife: ["1.0.0", ">=1.0.0 <"]
            repositories:
              - name: vendor/app
                upstream: vendor
        """.formatted(dir));
    CliRun r = runRaw("serve", "--config", bad.toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err().strip()).isEqualTo("turnstile: error: eol.yaml: applications[0].endOfLife[1]: '>=1.0.0 <' is"
        + " neither a version nor a version range (npm syntax, e.g. 1.x, <2.0.0)");
  }
}
