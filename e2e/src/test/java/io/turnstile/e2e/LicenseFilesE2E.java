package io.turnstile.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.turnstile.proxy.licensing.LicenseKeys;
import io.turnstile.testkit.Proc;
import io.turnstile.testkit.TurnstileProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * License files checked by verifiers nobody here wrote ({@link JwtVerifiers}): Node's {@code jose}
 * (npm 6.2.17) and Python's PyJWT (Debian's python3-jwt) verify a file downloaded with the CLI against the JWKS the
 * public listener publishes, and both refuse a file with one changed byte or one signed with
 * another key. The license-signing keys are kept in the store ({@code licenseFiles.keySource:
 * store}), so a rotation through the admin API is followed by what {@code jose} accepts (and by
 * {@code turnstile license-key list}). Fields defined while running, through the admin API and the
 * CLI, reach both verifiers typed as the configured ones do.
 */
class LicenseFilesE2E {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private TurnstileProcess turnstile;
  private Path keys;
  private String licenseId;

  @BeforeEach
  void start() throws Exception {
    turnstile = new TurnstileProcess(dir.resolve("turnstile"))
        .entitlements("{name: seats, type: integer, default: 5, visible: true}", "{name: sso, type: boolean, default: false}")
        .extraYaml("licenseFiles:\n  keySource: store")
        .start("http://127.0.0.1:9", "vendor", "vendor-secret");
    String customer = turnstile.cli("customer", "create", "--name", "Acme").get("id").asText();
    licenseId = turnstile.cli("license", "create", "--customer", customer, "--application", "app", "--version", "1.0.0",
        "--entitlement", "seats=25", "--entitlement", "sso=true").get("id").asText();
    keys = dir.resolve("license-keys.json");
    fetchPublishedKeys();
  }

  /** Saves the JWKS the public listener serves now into {@link #keys}, as a vendor's build would. */
  private void fetchPublishedKeys() throws Exception {
    HttpResponse<String> published = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(turnstile.url() + "/.well-known/license-keys.json")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(published.statusCode()).isEqualTo(200);
    Files.writeString(keys, published.body());
  }

  /** An admin API call with the admin token; its JSON answer, which must have {@code status}. */
  private JsonNode admin(String method, String path, int status) throws Exception {
    return admin(method, path, null, status);
  }

  /** An admin API call with the admin token and a JSON {@code body} (null: none). */
  private JsonNode admin(String method, String path, String body, int status) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(turnstile.adminUrl() + path))
        .header("Authorization", "Bearer " + TurnstileProcess.ADMIN_TOKEN)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    HttpResponse<String> r = HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("%s %s: %s", method, path, r.body()).isEqualTo(status);
    return JSON.readTree(r.body());
  }

  @AfterEach
  void stop() {
    turnstile.close();
  }

  private Path download() {
    Path file = dir.resolve("license-" + System.nanoTime() + ".jwt");
    Proc.Result r = turnstile.cliRaw(null, Map.of(), "license", "file", licenseId, "--to", file.toString());
    assertThat(r.exit()).as(r.err()).isZero();
    return file;
  }

  private Proc.Result node(Path file) throws Exception {
    return JwtVerifiers.node(keys, file, JwtVerifiers.LICENSE);
  }

  private Proc.Result python(Path file) throws Exception {
    return JwtVerifiers.python(keys, file, JwtVerifiers.LICENSE);
  }

  private static JsonNode claims(Proc.Result r) throws Exception {
    assertThat(r.exit()).as(r.err()).isZero();
    return JSON.readTree(r.out()).get("claims");
  }

  @Test
  void nodeJoseAndPyJwt_verifyADownloadedFile_againstThePublishedKeys() throws Exception {
    Path file = download();
    String kid = JWKSet.parse(Files.readString(keys)).getKeys().get(0).getKeyID();
    for (Proc.Result r : List.of(node(file), python(file))) {
      JsonNode claims = claims(r);
      assertThat(JSON.readTree(r.out()).get("kid").asText()).isEqualTo(kid);
      assertThat(claims.get("sub").asText()).isEqualTo(licenseId);
      assertThat(claims.get("customer").get("name").asText()).isEqualTo("Acme");
      assertThat(claims.get("versions").toString()).isEqualTo("[\"1.0.0\"]");
      assertThat(claims.get("entitlements").toString()).isEqualTo("{\"seats\":25,\"sso\":true}");
    }
  }

  @Test
  void fieldsDefinedThroughTheAdminApiAndTheCli_reachBothVerifiers_typed() throws Exception {
    // Defined in name order too: two fields defined within one millisecond are listed by name.
    admin("PUT", "/admin/v1/applications/app/entitlements/airgapped", "{\"type\": \"boolean\", \"visible\": true}",
        201);
    admin("PUT", "/admin/v1/applications/app/entitlements/nodes", "{\"type\": \"integer\", \"default\": 3}", 201);
    JsonNode defined = turnstile.cli("application", "entitlement", "set", "app", "supportUntil", "--type", "date",
        "--visible");
    assertThat(defined.get("source").asText()).isEqualTo("api");
    turnstile.cli("application", "entitlement", "set", "app", "edition", "--type", "string", "--default", "standard");
    JsonNode updated = turnstile.cli("license", "update", licenseId, "--entitlement", "nodes=12",
        "--entitlement", "airgapped=true", "--entitlement", "supportUntil=2027-06-30");
    assertThat(updated.get("entitlements").get("nodes").asLong()).isEqualTo(12);

    Path file = download();
    for (Proc.Result r : List.of(node(file), python(file))) {
      JsonNode entitlements = claims(r).get("entitlements");
      // Configured fields first, then those defined through the API in the order they were defined;
      // a field the license does not set carries its default.
      assertThat(entitlements.toString()).isEqualTo("{\"seats\":25,\"sso\":true,\"airgapped\":true,\"nodes\":12,"
          + "\"supportUntil\":\"2027-06-30\",\"edition\":\"standard\"}");
      assertThat(entitlements.get("nodes").isIntegralNumber()).as("nodes is a JSON number").isTrue();
      assertThat(entitlements.get("airgapped").isBoolean()).as("airgapped is a JSON boolean").isTrue();
      assertThat(entitlements.get("supportUntil").isTextual()).as("a date is a YYYY-MM-DD string").isTrue();
    }
  }

  @Test
  void oneChangedByte_isRefusedByBoth() throws Exception {
    String jws = Files.readString(download()).strip();
    String[] parts = jws.split("\\.");
    // One byte of the payload: seats 25 becomes seats 95, re-encoded so that it still parses.
    String payload = new String(Base64URL.from(parts[1]).decode(), StandardCharsets.UTF_8);
    assertThat(payload).contains("\"seats\":25");
    Path forged = dir.resolve("forged.jwt");
    Files.writeString(forged, parts[0] + "." + Base64URL.encode(payload.replace("\"seats\":25", "\"seats\":95"))
        + "." + parts[2]);
    // One byte of the signature.
    char c = parts[2].charAt(10);
    Path flipped = dir.resolve("flipped.jwt");
    Files.writeString(flipped, parts[0] + "." + parts[1] + "." + parts[2].substring(0, 10) + (c == 'A' ? 'B' : 'A')
        + parts[2].substring(11));
    for (Path bad : List.of(forged, flipped)) {
      Proc.Result byNode = node(bad);
      assertThat(byNode.exit()).as("jose on " + bad.getFileName() + ": " + byNode.out()).isNotZero();
      assertThat(byNode.err()).contains("ERR_JWS_SIGNATURE_VERIFICATION_FAILED");
      Proc.Result byPython = python(bad);
      assertThat(byPython.exit()).as("PyJWT on " + bad.getFileName() + ": " + byPython.out()).isNotZero();
      assertThat(byPython.err()).contains("InvalidSignatureError");
    }
  }

  @Test
  void aFileSignedWithAnotherKey_isRefusedByBoth_evenUnderThePublishedKeyId() throws Exception {
    SignedJWT genuine = SignedJWT.parse(Files.readString(download()).strip());
    ECKey other = LicenseKeys.generate();
    for (String kid : List.of(other.getKeyID(), genuine.getHeader().getKeyID())) {
      SignedJWT forged = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256)
          .type(new JOSEObjectType("turnstile-license+jwt")).keyID(kid).build(),
          JWTClaimsSet.parse(genuine.getJWTClaimsSet().toJSONObject()));
      forged.sign(new ECDSASigner(other));
      Path file = dir.resolve("other-key-" + kid + ".jwt");
      Files.writeString(file, forged.serialize());
      assertThat(node(file).exit()).as("jose, kid " + kid).isNotZero();
      assertThat(python(file).exit()).as("PyJWT, kid " + kid).isNotZero();
    }
  }

  @Test
  void afterARotationThroughTheAdminApi_joseVerifiesTheNewFile_andTheOldOneUntilItsKeyIsRetired() throws Exception {
    Path before = download();
    String oldKid = SignedJWT.parse(Files.readString(before).strip()).getHeader().getKeyID();
    String newKid = admin("POST", "/admin/v1/license-keys", 201).get("kid").asText();
    assertThat(admin("POST", "/admin/v1/license-keys/" + newKid + "/activate", 200).get("state").asText())
        .isEqualTo("active");
    Path after = download();
    fetchPublishedKeys();

    Proc.Result fresh = node(after);
    assertThat(claims(fresh).get("sub").asText()).isEqualTo(licenseId);
    assertThat(JSON.readTree(fresh.out()).get("kid").asText()).isEqualTo(newKid).isNotEqualTo(oldKid);
    assertThat(JSON.readTree(node(before).out()).get("kid").asText()).as("the old file, until its key is retired")
        .isEqualTo(oldKid);

    assertThat(admin("DELETE", "/admin/v1/license-keys/" + newKid, 409).get("error").asText())
        .contains("activate another one first");
    admin("DELETE", "/admin/v1/license-keys/" + oldKid, 200);
    List<String> states = new java.util.ArrayList<>();
    turnstile.cli("license-key", "list").get("keys").forEach(k -> states.add(k.get("kid").asText() + " "
        + k.get("state").asText()));
    assertThat(states).as("turnstile license-key list, newest first").containsExactly(newKid + " active",
        oldKid + " retired");
    fetchPublishedKeys();
    assertThat(claims(node(after)).get("sub").asText()).isEqualTo(licenseId);
    Proc.Result retired = node(before);
    assertThat(retired.exit()).as("jose on a file of the retired key: " + retired.out()).isNotZero();
    assertThat(retired.err()).contains("ERR_JWKS_NO_MATCHING_KEY");
  }
}
