package io.turnstile.proxy.licensing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import io.turnstile.proxy.licensing.LicenseVerifier.InvalidLicenseFileException;
import io.turnstile.proxy.testing.TestTurnstile;
import io.turnstile.proxy.testing.TestTurnstile.Answer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * License-signing keys kept in the store ({@code licenseFiles.keySource: store}) and rotated
 * through the admin API: a file signed by the old key verifies after the new one is activated, and
 * stops verifying once the old key is retired; token keys and license keys never stand in for each
 * other; with keys from files, the rotation routes say how to rotate the files. The list of the
 * keys with their states follows each step, for keys in the store and in files alike.
 */
class LicenseKeyRotationIT {
  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();
  /** The Turnstile under test now; a test may restart it. */
  private TestTurnstile ts;
  private final List<TestTurnstile> started = new java.util.ArrayList<>();

  /** Starts a Turnstile on {@code dir}'s store, keeping both kinds of keys in the store or in files. */
  private void start(boolean keysInStore) throws Exception {
    ts = keysInStore ? TestTurnstile.keysInStore(dir, "http://127.0.0.1:9", "")
        : TestTurnstile.withEntitlements(dir, "http://127.0.0.1:9", "");
    started.add(ts);
  }

  @AfterEach
  void stopAll() {
    started.forEach(TestTurnstile::close);
  }

  private JWKSet publishedKeys() throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(ts.registryUrl() + LicenseCheck.KEYS_PATH))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return JWKSet.parse(r.body());
  }

  private List<String> publishedKids() throws Exception {
    return publishedKeys().getKeys().stream().map(JWK::getKeyID).toList();
  }

  private String file(String license) throws Exception {
    Answer a = ts.admin("GET", "/admin/v1/licenses/" + license + "/file", null);
    assertThat(a.status()).as(a.raw()).isEqualTo(200);
    return a.raw();
  }

  /** {@code GET /admin/v1/license-keys/states}'s keys, each as "kid state source", in its order. */
  private List<String> states() throws Exception {
    return statesAs(TestTurnstile.ADMIN_TOKEN).stream()
        .map(k -> k.get("kid").asText() + " " + k.get("state").asText() + " " + k.get("source").asText()).toList();
  }

  /** The keys of {@code GET /admin/v1/license-keys/states} called with {@code token}, none private. */
  private List<JsonNode> statesAs(String token) throws Exception {
    Answer a = ts.admin("GET", "/admin/v1/license-keys/states", null, token);
    assertThat(a.status()).as(a.raw()).isEqualTo(200);
    assertThat(a.raw()).as("no private material").doesNotContain("PRIVATE").doesNotContain("\"d\"")
        .doesNotContain("\"pem\"");
    List<JsonNode> keys = new java.util.ArrayList<>();
    a.body().get("keys").forEach(keys::add);
    return keys;
  }

  private JsonNode stateOf(String kid) throws Exception {
    return statesAs(TestTurnstile.ADMIN_TOKEN).stream().filter(k -> k.get("kid").asText().equals(kid)).findFirst()
        .orElseThrow();
  }

  private static String kidOf(String jws) throws Exception {
    return SignedJWT.parse(jws).getHeader().getKeyID();
  }

  @Test
  void aRotationThroughTheAdminApi_keepsOldFilesVerifyingUntilTheOldKeyIsRetired() throws Exception {
    start(true);
    assertThat(Files.exists(dir.resolve("license-signing-key.jwk"))).as("no key file is made").isFalse();
    List<String> first = publishedKids();
    assertThat(first).as("the first start generates one key").hasSize(1);
    String oldKid = first.get(0);
    String license = ts.license("app", "1.0.0").username();
    String oldFile = file(license);
    assertThat(kidOf(oldFile)).isEqualTo(oldKid);
    assertThat(states()).containsExactly(oldKid + " active store");
    JsonNode generated = stateOf(oldKid);
    assertThat(generated.get("updatedAt").asText()).as("never changed yet").isEqualTo(generated.get("createdAt").asText());

    Answer added = ts.admin("POST", "/admin/v1/license-keys", null);
    assertThat(added.status()).as(added.raw()).isEqualTo(201);
    assertThat(added.body().get("state").asText()).isEqualTo("verify");
    assertThat(added.raw()).doesNotContain("PRIVATE").doesNotContain("\"d\"");
    String newKid = added.body().get("kid").asText();
    assertThat(publishedKids()).as("published before it signs, signer first").containsExactly(oldKid, newKid);
    assertThat(kidOf(file(license))).as("not signing yet").isEqualTo(oldKid);
    assertThat(states()).as("newest first").containsExactly(newKid + " verify store", oldKid + " active store");

    Answer activated = ts.admin("POST", "/admin/v1/license-keys/" + newKid + "/activate", null);
    assertThat(activated.body().get("state").asText()).isEqualTo("active");
    assertThat(publishedKids()).containsExactly(newKid, oldKid);
    assertThat(states()).containsExactly(newKid + " active store", oldKid + " verify store");
    JsonNode demoted = stateOf(oldKid);
    assertThat(java.time.Instant.parse(demoted.get("updatedAt").asText()))
        .as("its state changed after it was added").isAfter(java.time.Instant.parse(demoted.get("createdAt").asText()));
    String newFile = file(license);
    assertThat(kidOf(newFile)).isEqualTo(newKid);
    assertThat(LicenseVerifier.files(publishedKeys()).verify(oldFile).getSubject()).isEqualTo(license);
    assertThat(LicenseVerifier.files(publishedKeys()).verify(newFile).getSubject()).isEqualTo(license);
    assertThat(ts.admin("GET", "/admin/v1/license-keys", null).body().toString())
        .isEqualTo(ts.json.readTree(publishedKeys().toString()).toString());

    Answer signerRetired = ts.admin("DELETE", "/admin/v1/license-keys/" + newKid, null);
    assertThat(signerRetired.status()).isEqualTo(409);
    assertThat(signerRetired.body().get("error").asText())
        .isEqualTo("license-signing key " + newKid + " signs new license files: activate another one first");
    Answer retired = ts.admin("DELETE", "/admin/v1/license-keys/" + oldKid, null);
    assertThat(retired.body().get("state").asText()).isEqualTo("retired");
    assertThat(publishedKids()).containsExactly(newKid);
    assertThat(states()).as("a retired key is listed, though no longer published")
        .containsExactly(newKid + " active store", oldKid + " retired store");
    assertThatThrownBy(() -> LicenseVerifier.files(publishedKeys()).verify(oldFile))
        .isInstanceOf(InvalidLicenseFileException.class);
    assertThat(LicenseVerifier.files(publishedKeys()).verify(newFile).getSubject()).isEqualTo(license);

    JsonNode activity = ts.admin("GET", "/admin/v1/activity?actor=admin-token&limit=10", null).body().get("activity");
    List<String> actions = new java.util.ArrayList<>();
    activity.forEach(r -> actions.add(r.get("action").asText() + " " + r.get("detail").asText()));
    assertThat(actions).contains("license_key.added kid=" + newKid + " state=verify",
        "license_key.activated kid=" + newKid, "license_key.retired kid=" + oldKid);

    // Kept in the store: a restart signs with the key activated before it.
    started.remove(ts);
    ts.close();
    start(true);
    assertThat(publishedKids()).containsExactly(newKid);
    assertThat(kidOf(file(license))).isEqualTo(newKid);
  }

  @Test
  void theKeysStates_areReadByAViewer_whoCannotRotateThem() throws Exception {
    start(true);
    String viewer = ts.admin("POST", "/admin/v1/api-tokens",
        "{\"name\": \"dashboard\", \"role\": \"viewer\", \"expiresAt\": \"2099-01-01\"}").body().get("token").asText();
    String kid = publishedKids().get(0);
    assertThat(statesAs(viewer)).extracting(k -> k.get("kid").asText() + " " + k.get("state").asText())
        .containsExactly(kid + " active");
    Answer add = ts.admin("POST", "/admin/v1/license-keys", null, viewer);
    assertThat(add.status()).isEqualTo(403);
    assertThat(add.body().get("error").asText()).contains("admin role");
    assertThat(ts.admin("POST", "/admin/v1/license-keys/states", null).status())
        .as("the list is read only").isEqualTo(405);
  }

  @Test
  void tokenKeysAndLicenseKeys_neverStandInForEachOther() throws Exception {
    start(true);
    String licenseKid = publishedKids().get(0);
    String tokenKid = ts.admin("GET", "/admin/v1/signing-keys", null).body().get("keys").get(0).get("kid").asText();
    assertThat(tokenKid).isNotEqualTo(licenseKid);

    Answer tokenKeyAsLicenseKey = ts.admin("POST", "/admin/v1/license-keys/" + tokenKid + "/activate", null);
    assertThat(tokenKeyAsLicenseKey.status()).isEqualTo(400);
    assertThat(tokenKeyAsLicenseKey.body().get("error").asText()).contains("no license-signing key " + tokenKid);
    assertThat(ts.admin("DELETE", "/admin/v1/signing-keys/" + licenseKid, null).status()).isEqualTo(400);
    String added = ts.admin("POST", "/admin/v1/license-keys", null).body().get("kid").asText();
    assertThat(ts.admin("POST", "/admin/v1/signing-keys/" + added + "/activate", null).status()).isEqualTo(400);

    HttpResponse<String> tokenJwks = http.send(HttpRequest.newBuilder(URI.create(ts.registryUrl()
        + "/.well-known/jwks.json")).build(), HttpResponse.BodyHandlers.ofString());
    List<String> tokenKids = JWKSet.parse(tokenJwks.body()).getKeys().stream().map(JWK::getKeyID).toList();
    assertThat(tokenKids).containsExactly(tokenKid);
    assertThat(publishedKids()).containsExactly(licenseKid, added);
    assertThat(ts.admin("GET", "/admin/v1/signing-keys", null).body().toString()).doesNotContain(licenseKid, added);
  }

  @Test
  void withKeysFromFiles_theRotationRoutesAre409_sayingHowToRotateTheFiles() throws Exception {
    start(false);
    String kid = publishedKids().get(0);
    for (Answer a : List.of(ts.admin("POST", "/admin/v1/license-keys", null),
        ts.admin("POST", "/admin/v1/license-keys/" + kid + "/activate", null),
        ts.admin("DELETE", "/admin/v1/license-keys/" + kid, null))) {
      assertThat(a.status()).isEqualTo(409);
      assertThat(a.body().get("error").asText()).contains("licenseFiles.keySource: files")
          .contains("licenseFiles.signingKey");
    }
    assertThat(ts.admin("GET", "/admin/v1/license-keys", null).status()).isEqualTo(200);
    assertThat(publishedKids()).containsExactly(kid);
    assertThat(states()).containsExactly(kid + " active files");
    assertThat(stateOf(kid).get("createdAt").isNull()).as("a file says nothing of when it was made").isTrue();
    assertThat(stateOf(kid).get("updatedAt").isNull()).isTrue();
  }

  @Test
  void withSeveralKeyFiles_theStatesFollowTheConfiguredOrder_theFirstActive() throws Exception {
    Path newer = dir.resolve("keys/2026.jwk");
    Path older = dir.resolve("keys/2025.jwk");
    ts = TestTurnstile.withEntitlements(dir, "http://127.0.0.1:9",
        "  signingKey:\n    - " + newer + "\n    - " + older + "\n");
    started.add(ts);
    List<String> published = publishedKids();
    assertThat(published).hasSize(2);
    assertThat(states()).containsExactly(published.get(0) + " active files", published.get(1) + " verify files");
    String licenseFile = file(ts.license("app", "1.0.0").username());
    assertThat(kidOf(licenseFile)).as("the first file's key signs").isEqualTo(published.get(0));
  }
}
