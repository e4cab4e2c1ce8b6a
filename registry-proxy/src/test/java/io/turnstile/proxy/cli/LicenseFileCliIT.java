package io.turnstile.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.turnstile.proxy.testing.CliRun;
import io.turnstile.proxy.testing.TestTurnstile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Entitlements, license files, their keys and offline verification from the CLI. */
class LicenseFileCliIT {
  @TempDir Path dir;
  private TestTurnstile ts;
  private Path tokenFile;
  private final ObjectMapper json = new ObjectMapper();

  @BeforeEach
  void start() throws Exception {
    ts = TestTurnstile.withEntitlements(dir, "http://127.0.0.1:9", "");
    tokenFile = dir.resolve("admin-token");
    Files.writeString(tokenFile, TestTurnstile.ADMIN_TOKEN + "\n");
  }

  @AfterEach
  void stop() {
    ts.close();
  }

  private CliRun run(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--admin-url", ts.adminUrl(), "--admin-token-file", tokenFile.toString()));
    return CliRun.of(all.toArray(String[]::new));
  }

  @Test
  void aVendorDefinesAFieldFromTheCli_setsItOnALicense_andDeletesItOnceCleared() throws Exception {
    CliRun set = run("application", "entitlement", "set", "app", "nodes", "--type", "integer", "--default", "3",
        "--visible");
    assertThat(set.exit()).as(set.err()).isZero();
    assertThat(set.out()).contains("nodes").contains("integer").contains("api");
    CliRun configured = run("application", "entitlement", "set", "app", "seats", "--type", "string");
    assertThat(configured.exit()).isNotZero();
    assertThat(configured.err()).contains("defined in the configuration");
    CliRun list = run("application", "entitlement", "list", "app", "-o", "json");
    assertThat(list.exit()).as(list.err()).isZero();
    assertThat(json.readTree(list.out()).get("entitlements")).extracting(f -> f.get("source").asText())
        .containsExactly("config", "config", "config", "api");

    String customer = ts.admin("POST", "/admin/v1/customers", "{\"name\":\"Acme\"}").body().get("id").asText();
    CliRun created = run("license", "create", "--customer", customer, "--application", "app", "--version", "1.0.0",
        "--entitlement", "nodes=12", "-o", "json");
    assertThat(created.exit()).as(created.err()).isZero();
    String id = json.readTree(created.out()).get("id").asText();
    assertThat(json.readTree(created.out()).get("entitlements").get("nodes").asLong()).isEqualTo(12);

    CliRun held = run("application", "entitlement", "delete", "app", "nodes");
    assertThat(held.exit()).isNotZero();
    assertThat(held.err()).contains("1 license holds a value for it");
    assertThat(run("license", "update", id, "--entitlement", "nodes=").exit()).isZero();
    CliRun deleted = run("application", "entitlement", "delete", "app", "nodes");
    assertThat(deleted.exit()).as(deleted.err()).isZero();
    assertThat(deleted.out()).contains("deleted app.nodes");
  }

  @Test
  void aVendorSetsEntitlements_downloadsTheFile_andVerifiesItOfflineWithTheExportedKeys() throws Exception {
    String customer = ts.admin("POST", "/admin/v1/customers", "{\"name\":\"Acme\"}").body().get("id").asText();
    CliRun created = run("license", "create", "--customer", customer, "--application", "app", "--version", "1.0.0",
        "--entitlement", "seats=10", "-o", "json");
    assertThat(created.exit()).as(created.err()).isZero();
    JsonNode license = json.readTree(created.out());
    assertThat(license.get("entitlements").get("seats").asLong()).isEqualTo(10);
    String id = license.get("id").asText();

    CliRun bad = run("license", "update", id, "--entitlement", "seats=lots");
    assertThat(bad.exit()).isNotZero();
    assertThat(bad.err()).contains("entitlements.seats: 'lots' is not an integer");
    CliRun updated = run("license", "update", id, "--entitlement", "seats=25", "--entitlement", "sso=true", "-o", "json");
    assertThat(updated.exit()).as(updated.err()).isZero();
    assertThat(json.readTree(updated.out()).get("entitlements").toString()).isEqualTo("{\"seats\":25,\"sso\":true}");

    Path file = dir.resolve("license.jwt");
    CliRun downloaded = run("license", "file", id, "--to", file.toString());
    assertThat(downloaded.exit()).as(downloaded.err()).isZero();
    Path keys = dir.resolve("license-keys.json");
    CliRun exported = run("license-key", "export");
    assertThat(exported.exit()).as(exported.err()).isZero();
    Files.writeString(keys, exported.out());
    assertThat(json.readTree(exported.out()).get("keys").get(0).has("d")).as("no private part").isFalse();
    String kid = json.readTree(exported.out()).get("keys").get(0).get("kid").asText();
    CliRun listed = run("license-key", "list");
    assertThat(listed.exit()).as(listed.err()).isZero();
    assertThat(listed.out().lines().toList()).as("a key from a file has no times")
        .containsExactly("KID" + " ".repeat(kid.length() - 1) + "STATE   SOURCE  CREATED  UPDATED",
            kid + "  active  files   -        -");

    CliRun verified = CliIT.runRaw("license", "verify", file.toString(), "--keys", keys.toString());
    assertThat(verified.exit()).as(verified.err()).isZero();
    JsonNode claims = json.readTree(verified.out());
    assertThat(claims.get("sub").asText()).isEqualTo(id);
    assertThat(claims.get("entitlements").get("seats").asLong()).isEqualTo(25);
    assertThat(verified.err()).contains("verified");

    String jws = Files.readString(file).strip();
    int at = jws.lastIndexOf('.') - 5;
    Files.writeString(file, jws.substring(0, at) + (jws.charAt(at) == 'x' ? 'y' : 'x') + jws.substring(at + 1));
    CliRun tampered = CliIT.runRaw("license", "verify", file.toString(), "--keys", keys.toString());
    assertThat(tampered.exit()).isNotZero();
    assertThat(tampered.err()).contains("does not verify");
  }

  @Test
  void licenseKeysInTheStore_rotateWithAddActivateRetire_andExportFollows() throws Exception {
    ts.close();
    ts = TestTurnstile.withEntitlements(dir.resolve("stored"), "http://127.0.0.1:9", "  keySource: store\n");
    String oldKid = json.readTree(run("license-key", "export").out()).get("keys").get(0).get("kid").asText();

    CliRun added = run("license-key", "add", "-o", "json");
    assertThat(added.exit()).as(added.err()).isZero();
    String newKid = json.readTree(added.out()).get("kid").asText();
    assertThat(json.readTree(added.out()).get("state").asText()).isEqualTo("verify");
    CliRun activated = run("license-key", "activate", newKid);
    assertThat(activated.exit()).as(activated.err()).isZero();
    assertThat(activated.out()).contains("KID", newKid, "active");
    CliRun refused = run("license-key", "retire", newKid);
    assertThat(refused.exit()).isNotZero();
    assertThat(refused.err()).contains("signs new license files: activate another one first");
    CliRun retired = run("license-key", "retire", oldKid);
    assertThat(retired.exit()).as(retired.err()).isZero();
    assertThat(retired.out()).contains(oldKid, "retired");

    JsonNode exported = json.readTree(run("license-key", "export").out()).get("keys");
    assertThat(exported).hasSize(1);
    assertThat(exported.get(0).get("kid").asText()).isEqualTo(newKid);
    CliRun listed = run("license-key", "list", "-o", "json");
    assertThat(listed.exit()).as(listed.err()).isZero();
    List<String> states = new ArrayList<>();
    json.readTree(listed.out()).get("keys").forEach(k -> states.add(k.get("kid").asText() + " "
        + k.get("state").asText() + " " + k.get("source").asText() + " " + k.has("createdAt") + " " + k.has("updatedAt")));
    assertThat(states).as("the retired key too, newest first")
        .containsExactly(newKid + " active store true true", oldKid + " retired store true true");
    assertThat(listed.out()).doesNotContain("PRIVATE").doesNotContain("\"d\"");
    CliRun table = run("license-key", "list");
    assertThat(table.exit()).as(table.err()).isZero();
    assertThat(table.out().lines().toList()).hasSize(3);
    assertThat(table.out().lines().findFirst().orElseThrow().split(" +"))
        .containsExactly("KID", "STATE", "SOURCE", "CREATED", "UPDATED");
    assertThat(table.out()).containsPattern(newKid + " +active +store +20\\d\\d-")
        .containsPattern(oldKid + " +retired +store +20\\d\\d-");
    CliRun tokenKey = run("signing-key", "activate", newKid);
    assertThat(tokenKey.exit()).as("a license key is no token key").isNotZero();
  }
}
