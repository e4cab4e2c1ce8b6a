package io.turnstile.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.turnstile.testkit.Proc;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A real Keycloak (the {@code keycloak-quarkus-dist} e2e/run.sh unpacks and names in {@code
 * TURNSTILE_KEYCLOAK_HOME}) in development mode on a free loopback port, with an in-memory database
 * and the realm {@code keycloak/turnstile-realm.json} imported: three users, one per console role,
 * each in a group, and the confidential client {@code turnstile-console}. Started in the background:
 * {@link #awaitReady} waits for it. Changes go through its admin REST API, as an operator's would.
 */
final class Keycloak implements AutoCloseable {
  static final String REALM = "turnstile";
  static final String CLIENT_ID = "turnstile-console";
  static final String CLIENT_SECRET = "e2e-oidc-client-secret-0123456789";
  private static final String ADMIN = "e2e-admin";
  private static final String ADMIN_PASSWORD = "e2e-admin-password-0123456789";
  /** Keycloak takes about 50 s to start on two cores; a busy machine gets more. */
  private static final Duration STARTUP = Duration.ofMinutes(4);

  private final int port = Proc.freePort();
  private final Path log;
  private final Process process;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final ObjectMapper json = new ObjectMapper();

  private Keycloak(Path home, Path log) throws Exception {
    this.log = log;
    Path imports = home.resolve("data/import");
    Files.createDirectories(imports);
    try (InputStream realm = Keycloak.class.getResourceAsStream("/keycloak/turnstile-realm.json")) {
      Files.copy(realm, imports.resolve("turnstile-realm.json"), StandardCopyOption.REPLACE_EXISTING);
    }
    process = Proc.start(List.of(home.resolve("bin/kc.sh").toString(), "start-dev", "--import-realm",
            "--db=dev-mem", "--http-host=127.0.0.1", "--http-port=" + port, "--health-enabled=false"),
        Map.of("KC_BOOTSTRAP_ADMIN_USERNAME", ADMIN, "KC_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD,
            "JAVA_OPTS_KC_HEAP", "-Xms64m -Xmx512m"), log);
  }

  /** Starts Keycloak from {@code TURNSTILE_KEYCLOAK_HOME}; returns at once, see {@link #awaitReady}. */
  static Keycloak start(Path log) throws Exception {
    String home = System.getenv("TURNSTILE_KEYCLOAK_HOME");
    assertThat(home).as("TURNSTILE_KEYCLOAK_HOME (keycloak-quarkus-dist unpacked; e2e/run.sh sets it)").isNotBlank();
    assertThat(Path.of(home, "bin/kc.sh")).as("Keycloak's kc.sh").isExecutable();
    return new Keycloak(Path.of(home), log);
  }

  String issuer() {
    return "http://127.0.0.1:" + port + "/realms/" + REALM;
  }

  /** Waits until the realm's discovery document answers. */
  Keycloak awaitReady() {
    Proc.await("keycloak on " + port + " (log " + log + ")", STARTUP, () -> {
      if (!process.isAlive()) {
        throw new AssertionError("keycloak exited; see " + log);
      }
      return Proc.httpStatus(issuer() + "/.well-known/openid-configuration") == 200;
    });
    return this;
  }

  /** Lets the console client return to {@code callback} and, after sign-out, to {@code signedOut}. */
  void redirectTo(String callback, String signedOut) throws Exception {
    String id = clientUuid();
    ObjectNode client = (ObjectNode) admin("GET", "/clients/" + id, null);
    ArrayNode uris = client.putArray("redirectUris");
    uris.add(callback);
    ((ObjectNode) client.with("attributes")).put("post.logout.redirect.uris", signedOut);
    admin("PUT", "/clients/" + id, client);
  }

  /** Takes the user {@code email} out of {@code group}, as an operator removing someone would. */
  void removeFromGroup(String email, String group) throws Exception {
    JsonNode user = admin("GET", "/users?exact=true&email=" + URLEncoder.encode(email, StandardCharsets.UTF_8), null)
        .get(0);
    String groupId = null;
    for (JsonNode g : admin("GET", "/users/" + user.get("id").asText() + "/groups", null)) {
      if (g.get("name").asText().equals(group)) {
        groupId = g.get("id").asText();
      }
    }
    assertThat(groupId).as(email + " in " + group).isNotNull();
    admin("DELETE", "/users/" + user.get("id").asText() + "/groups/" + groupId, null);
  }

  private String clientUuid() throws Exception {
    return admin("GET", "/clients?clientId=" + CLIENT_ID, null).get(0).get("id").asText();
  }

  private JsonNode admin(String method, String path, JsonNode body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/admin/realms/" + REALM + path))
        .header("Authorization", "Bearer " + adminToken()).timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body)));
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isBetween(200, 299);
    return r.body().isEmpty() ? json.nullNode() : json.readTree(r.body());
  }

  private String adminToken() throws Exception {
    String form = "grant_type=password&client_id=admin-cli&username=" + ADMIN + "&password=" + ADMIN_PASSWORD;
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + port + "/realms/master/protocol/openid-connect/token"))
        .header("Content-Type", "application/x-www-form-urlencoded").timeout(Duration.ofSeconds(30))
        .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("keycloak admin sign-in: " + r.body()).isEqualTo(200);
    return json.readTree(r.body()).get("access_token").asText();
  }

  @Override
  public void close() {
    Proc.stop(process);
  }
}
