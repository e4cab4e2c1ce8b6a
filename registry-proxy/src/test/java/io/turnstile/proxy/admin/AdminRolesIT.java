package io.turnstile.proxy.admin;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.turnstile.proxy.testing.TestTurnstile;
import io.turnstile.proxy.testing.TestTurnstile.Answer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Roles, personal API tokens and the activity log on a real Turnstile, through its admin listener:
 * what each role may do per route family, tokens accepted and refused at once when revoked, and
 * changes recorded under the credential's name, never one the client chose.
 */
class AdminRolesIT {
  @TempDir Path dir;
  private TestTurnstile ts;
  private final HttpClient http = HttpClient.newHttpClient();
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

  @BeforeEach
  void start() throws Exception {
    ts = new TestTurnstile(dir, "http://127.0.0.1:9");
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    logs.setContext(context);
    logs.start();
    context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(logs);
  }

  @AfterEach
  void stop() {
    ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).detachAppender(logs);
    ts.close();
  }

  private static String nextWeek() {
    return Instant.now().plus(7, ChronoUnit.DAYS).toString();
  }

  /** A token made with the admin token: its answer, the secret included. */
  private JsonNode token(String name, String role) throws Exception {
    Answer a = ts.admin("POST", "/admin/v1/api-tokens",
        "{\"name\":\"" + name + "\",\"role\":\"" + role + "\",\"expiresAt\":\"" + nextWeek() + "\"}");
    assertThat(a.status()).as(a.raw()).isEqualTo(201);
    return a.body();
  }

  private String customer() throws Exception {
    Answer a = ts.admin("POST", "/admin/v1/customers", "{\"name\":\"Acme\"}");
    assertThat(a.status()).isEqualTo(201);
    return a.body().get("id").asText();
  }

  private String license(String customer) throws Exception {
    Answer a = ts.admin("POST", "/admin/v1/licenses",
        "{\"customerId\":\"" + customer + "\",\"application\":\"app\",\"versions\":[\"1.0.0\"]}");
    assertThat(a.status()).as(a.raw()).isEqualTo(201);
    return a.body().get("id").asText();
  }

  private static void refused(Answer a, String role) {
    assertThat(a.status()).as(a.raw()).isEqualTo(403);
    assertThat(a.body().get("roleNeeded").asText()).isEqualTo(role);
    assertThat(a.body().get("error").asText()).contains("needs the " + role + " role");
  }

  @Test
  void aNewToken_isShownOnce_looksLikeTsa_andIsNeverListedOrLogged() throws Exception {
    JsonNode made = token("deploy", "editor");
    String secret = made.get("token").asText();
    assertThat(secret).startsWith("tsa_");
    assertThat(made.get("owner").asText()).isEqualTo("admin-token");
    assertThat(ts.admin("GET", "/admin/v1/customers", null, secret).status()).isEqualTo(200);
    Answer list = ts.admin("GET", "/admin/v1/api-tokens", null);
    assertThat(list.raw()).contains("deploy").doesNotContain(secret);
    JsonNode listed = list.body().get("tokens").get(0);
    assertThat(listed.get("lastUsedAt").isNull()).as("the use above is listed").isFalse();
    assertThat(logs.list).noneMatch(e -> e.getFormattedMessage().contains(secret.substring(4)));
  }

  @Test
  void aViewer_readsEverything_butChangesNothing_and403NamesTheRoleNeeded() throws Exception {
    String customer = customer();
    String license = license(customer);
    String viewer = token("looker", "viewer").get("token").asText();
    for (String path : List.of("customers", "customers/" + customer, "customers/" + customer + "/keys", "licenses",
        "licenses/" + license, "pulls", "activity")) {
      Answer a = ts.admin("GET", "/admin/v1/" + path, null, viewer);
      assertThat(a.status()).as(path + ": " + a.raw()).isEqualTo(200);
    }
    refused(ts.admin("POST", "/admin/v1/customers", "{\"name\":\"X\"}", viewer), "editor");
    refused(ts.admin("DELETE", "/admin/v1/customers/" + customer, null, viewer), "editor");
    refused(ts.admin("POST", "/admin/v1/customers/" + customer + "/keys", null, viewer), "editor");
    refused(ts.admin("POST", "/admin/v1/licenses/" + license + "/versions", "{\"versions\":[\"2.0.0\"]}", viewer),
        "editor");
    refused(ts.admin("PATCH", "/admin/v1/licenses/" + license, "{\"name\":\"x\"}", viewer), "editor");
    refused(ts.admin("POST", "/admin/v1/licenses/" + license + "/key", null, viewer), "editor");
    refused(ts.admin("DELETE", "/admin/v1/licenses/" + license, null, viewer), "editor");
    refused(ts.admin("GET", "/admin/v1/signing-keys", null, viewer), "admin");
    assertThat(ts.admin("GET", "/admin/v1/licenses/" + license, null).body().get("state").asText())
        .isEqualTo("active");
  }

  @Test
  void anEditor_changesCustomersAndLicenses_butNotSigningKeys() throws Exception {
    String editor = token("crm", "editor").get("token").asText();
    Answer c = ts.admin("POST", "/admin/v1/customers", "{\"name\":\"Globex\"}", editor);
    assertThat(c.status()).isEqualTo(201);
    Answer l = ts.admin("POST", "/admin/v1/licenses", "{\"customerId\":\"" + c.body().get("id").asText()
        + "\",\"application\":\"app\",\"versions\":[\"1.0.0\"]}", editor);
    assertThat(l.status()).as(l.raw()).isEqualTo(201);
    refused(ts.admin("GET", "/admin/v1/signing-keys", null, editor), "admin");
    refused(ts.admin("POST", "/admin/v1/signing-keys", null, editor), "admin");
  }

  @Test
  void anAdminToken_reachesSigningKeys() throws Exception {
    String admin = token("ops", "admin").get("token").asText();
    Answer a = ts.admin("GET", "/admin/v1/signing-keys", null, admin);
    assertThat(a.status()).as("keys from files: refused for what they are, not for the role").isNotEqualTo(403);
  }

  @Test
  void apiTokens_manageNoTokens() throws Exception {
    String admin = token("ops", "admin").get("token").asText();
    Answer a = ts.admin("POST", "/admin/v1/api-tokens", "{\"name\":\"more\",\"expiresAt\":\"" + nextWeek() + "\"}", admin);
    assertThat(a.status()).isEqualTo(403);
    assertThat(a.body().get("error").asText()).contains("not with an API token");
  }

  @Test
  void aRevokedToken_isRefusedAtOnce_andTheRevocationIsInTheActivityLog() throws Exception {
    JsonNode made = token("deploy", "editor");
    String secret = made.get("token").asText();
    assertThat(ts.admin("GET", "/admin/v1/customers", null, secret).status()).isEqualTo(200);
    Answer revoked = ts.admin("DELETE", "/admin/v1/api-tokens/" + made.get("id").asText(), null);
    assertThat(revoked.body().get("state").asText()).isEqualTo("revoked");
    Answer after = ts.admin("GET", "/admin/v1/customers", null, secret);
    assertThat(after.status()).isEqualTo(401);
    assertThat(after.body().toString()).isEqualTo("{\"error\":\"unauthorized\"}");
    JsonNode activity = ts.admin("GET", "/admin/v1/activity?actor=admin-token", null).body().get("activity");
    assertThat(activity.get(0).get("action").asText()).isEqualTo("api_token.revoked");
    assertThat(activity.get(1).get("action").asText()).isEqualTo("api_token.created");
    assertThat(activity.toString()).doesNotContain(secret);
  }

  @Test
  void history_namesTheToken_andIgnoresAClientChosenActorHeader() throws Exception {
    String customer = customer();
    String license = license(customer);
    String secret = token("crm-sync", "editor").get("token").asText();
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(ts.adminUrl() + "/admin/v1/licenses/" + license))
        .header("Authorization", "Bearer " + secret).header("X-Turnstile-Actor", "mallory")
        .header("Content-Type", "application/json")
        .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"name\":\"renamed\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode history = ts.admin("GET", "/admin/v1/licenses/" + license, null).body().get("history");
    List<String> actors = new ArrayList<>();
    history.forEach(e -> actors.add(e.get("actor").asText()));
    assertThat(actors).containsExactly("admin-token", "api-token:crm-sync (admin-token)");
    assertThat(ts.admin("GET", "/admin/v1/activity", null).raw()).doesNotContain("mallory");
  }

  @Test
  void onlyItsOwnerOrAnAdminRevokesAToken_andATokenCannotOutrankItsMaker() throws Exception {
    JsonNode made = token("deploy", "viewer");
    Actor editor = new Actor(Actor.Kind.PERSON, "erin@vendor.example", Role.EDITOR);
    AdminApi api = adminApi();
    AdminResponse someoneElse = api.handle("DELETE", "/admin/v1/api-tokens/" + made.get("id").asText(), java.util.Map.of(),
        new byte[0], editor, null);
    assertThat(someoneElse.status()).isEqualTo(403);
    assertThat(someoneElse.body().get("error").asText()).contains("admin role");
    assertThat(api.handle("GET", "/admin/v1/api-tokens", java.util.Map.of(), new byte[0], editor, null).body()
        .get("tokens")).isEmpty();
    AdminResponse tooHigh = api.handle("POST", "/admin/v1/api-tokens", java.util.Map.of(),
        ("{\"name\":\"x\",\"role\":\"admin\",\"expiresAt\":\"" + nextWeek() + "\"}").getBytes(), editor, null);
    assertThat(tooHigh.status()).isEqualTo(403);
    AdminResponse own = api.handle("POST", "/admin/v1/api-tokens", java.util.Map.of(),
        ("{\"name\":\"mine\",\"expiresAt\":\"" + nextWeek() + "\"}").getBytes(), editor, null);
    assertThat(own.status()).isEqualTo(201);
    assertThat(own.body().get("role").asText()).as("a maker's own role by default").isEqualTo("editor");
    assertThat(own.body().get("owner").asText()).isEqualTo("erin@vendor.example");
    assertThat(api.handle("DELETE", "/admin/v1/api-tokens/" + own.body().get("id").asText(), java.util.Map.of(),
        new byte[0], editor, null).status()).isEqualTo(200);
  }

  /** The admin API's core on the server's store, as the console calls it for a signed-in person. */
  private AdminApi adminApi() {
    return new AdminApi(ts.server.store(), ts.config.applications(), app -> List.of(), ts.config.server().publicUrl(),
        ts.config.token(), new com.fasterxml.jackson.databind.ObjectMapper(), java.time.Clock.systemUTC());
  }

  @Test
  void theActivityLog_filtersByActorCustomerLicenseAndTime_asJsonPagesAndCsv() throws Exception {
    String acme = customer();
    String license = license(acme);
    String secret = token("crm", "editor").get("token").asText();
    Answer globex = ts.admin("POST", "/admin/v1/customers", "{\"name\":\"Globex\"}", secret);
    String globexId = globex.body().get("id").asText();

    JsonNode byToken = ts.admin("GET", "/admin/v1/activity?actor=api-token:crm%20(admin-token)", null).body();
    assertThat(byToken.get("activity")).hasSize(1);
    assertThat(byToken.get("activity").get(0).get("customerId").asText()).isEqualTo(globexId);
    JsonNode byCustomer = ts.admin("GET", "/admin/v1/activity?customerId=" + acme, null).body().get("activity");
    assertThat(byCustomer).hasSize(2);
    JsonNode byLicense = ts.admin("GET", "/admin/v1/activity?licenseId=" + license, null).body().get("activity");
    assertThat(byLicense).hasSize(1);
    assertThat(byLicense.get(0).get("action").asText()).isEqualTo("license.created");
    assertThat(ts.admin("GET", "/admin/v1/activity?since=2000-01-01&until=2000-01-02", null).body().get("activity"))
        .isEmpty();

    JsonNode page1 = ts.admin("GET", "/admin/v1/activity?limit=2", null).body();
    assertThat(page1.get("activity")).hasSize(2);
    JsonNode page2 = ts.admin("GET", "/admin/v1/activity?limit=2&cursor=" + page1.get("next").asText(), null).body();
    assertThat(page2.get("activity").get(0).get("at")).isNotNull();
    assertThat(page2.get("activity").get(0).toString()).isNotEqualTo(page1.get("activity").get(0).toString());

    HttpResponse<String> csv = http.send(HttpRequest.newBuilder(URI.create(ts.adminUrl() + "/admin/v1/activity?customerId=" + acme))
        .header("Authorization", "Bearer " + secret).header("Accept", "text/csv").build(), HttpResponse.BodyHandlers.ofString());
    assertThat(csv.statusCode()).isEqualTo(200);
    assertThat(csv.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/csv");
    String[] lines = csv.body().split("\r\n");
    assertThat(lines[0]).isEqualTo("at,actor,action,customerId,licenseId,detail");
    assertThat(lines).hasSize(3);
    assertThat(lines[1]).contains("license.created", license);

    Answer bad = ts.admin("GET", "/admin/v1/activity?who=me", null);
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.body().get("field").asText()).isEqualTo("who");
  }

  @Test
  void wrongApiTokens_areThrottledPerAddress_likeWrongAdminTokens() throws Exception {
    for (int i = 0; i < AdminToken.FAILURES_PER_MINUTE; i++) {
      assertThat(ts.admin("GET", "/admin/v1/customers", null, "tsa_guess" + i).status()).isEqualTo(401);
    }
    assertThat(ts.admin("GET", "/admin/v1/customers", null).status()).isEqualTo(429);
  }
}
