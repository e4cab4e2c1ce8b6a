package io.turnstile.proxy.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.turnstile.proxy.admin.Actor;
import io.turnstile.proxy.admin.Role;
import io.turnstile.proxy.testing.Browser;
import io.turnstile.proxy.testing.TestTurnstile;
import java.net.HttpCookie;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console for a vendor team: what each role sees and may do, personal API tokens made and
 * revoked on their page, and the activity page with its filters. People sign in through the
 * identity provider elsewhere; here a session is started for them as that sign-in does.
 */
class ConsoleTeamIT {
  private static final Actor VIEWER = new Actor(Actor.Kind.PERSON, "vera@vendor.example", Role.VIEWER);
  private static final Actor EDITOR = new Actor(Actor.Kind.PERSON, "eddie@vendor.example", Role.EDITOR);

  @TempDir Path dir;
  private TestTurnstile ts;

  @BeforeEach
  void start() throws Exception {
    ts = new TestTurnstile(dir, "http://127.0.0.1:9");
  }

  @AfterEach
  void stop() {
    ts.close();
  }

  /** A browser signed in to the console as {@code actor}. */
  private Browser as(Actor actor) {
    Browser b = new Browser(ts.adminUrl());
    HttpCookie cookie = new HttpCookie("turnstile_console", ts.server.console().start(actor).id());
    cookie.setPath("/console");
    b.cookies.getCookieStore().add(URI.create(ts.adminUrl() + "/console"), cookie);
    return b;
  }

  private Browser adminToken() throws Exception {
    Browser b = new Browser(ts.adminUrl());
    b.get("/console/sign-in");
    assertThat(b.post("/console/sign-in", Map.of("token", TestTurnstile.ADMIN_TOKEN)).statusCode()).isEqualTo(303);
    return b;
  }

  private static String issuedToken(String page) {
    Matcher m = Pattern.compile("id=\"issued-token\">([^<]+)<").matcher(page);
    return m.find() ? m.group(1) : null;
  }

  @Test
  void aViewer_seesCustomersAndLicenses_withNoButtonThatChangesThem() throws Exception {
    TestTurnstile.Login login = ts.license("app", "1.0.0");
    Browser viewer = as(VIEWER);
    String licenses = viewer.get("/console/licenses").body();
    assertThat(licenses).contains(login.username()).doesNotContain("id=\"create-license\"")
        .contains("vera@vendor.example (viewer)");
    String license = viewer.get("/console/licenses/" + login.username()).body();
    assertThat(license).contains("id=\"license-state\">active<").doesNotContain("id=\"grant\"")
        .doesNotContain("id=\"rotate-key\"").doesNotContain("id=\"revoke-license\"").doesNotContain("Revoke version")
        .doesNotContain("id=\"set-expiry\"");
    String customer = viewer.get("/console/customers/" + login.customer()).body();
    assertThat(customer).doesNotContain("id=\"create-key\"").doesNotContain("Delete customer")
        .doesNotContain("id=\"new-license\"");
    assertThat(viewer.get("/console/customers").body()).doesNotContain("id=\"create-customer\"");
    assertThat(viewer.get("/console/licenses/new").body()).doesNotContain("id=\"save-license\"")
        .contains("needs the editor role");
  }

  @Test
  void aViewerForgingAPost_isRefused403NamingTheRole_andNothingChanges() throws Exception {
    TestTurnstile.Login login = ts.license("app", "1.0.0");
    Browser viewer = as(VIEWER);
    viewer.get("/console/licenses/" + login.username());
    HttpResponse<String> revoke = viewer.post("/console/licenses/" + login.username() + "/revoke", Map.of());
    assertThat(revoke.statusCode()).isEqualTo(403);
    assertThat(revoke.body()).contains("needs the editor role").contains("vera@vendor.example has the viewer role");
    HttpResponse<String> create = viewer.post("/console/customers", Map.of("name", "Evil"));
    assertThat(create.statusCode()).isEqualTo(403);
    JsonNode l = ts.admin("GET", "/admin/v1/licenses/" + login.username(), null).body();
    assertThat(l.get("state").asText()).isEqualTo("active");
    assertThat(ts.admin("GET", "/admin/v1/customers", null).body().get("customers")).hasSize(1);
  }

  @Test
  void anEditorsChange_isRecordedUnderTheirName_inHistoryAndActivity() throws Exception {
    TestTurnstile.Login login = ts.license("app", "1.0.0");
    Browser editor = as(EDITOR);
    String page = "/console/licenses/" + login.username();
    editor.get(page);
    assertThat(editor.post(page + "/versions", Map.of("version", "2.0.0")).statusCode()).isEqualTo(303);
    JsonNode history = ts.admin("GET", "/admin/v1/licenses/" + login.username(), null).body().get("history");
    assertThat(history.get(history.size() - 1).get("actor").asText()).isEqualTo("eddie@vendor.example");
    String activity = editor.get("/console/activity?actor=eddie%40vendor.example").body();
    assertThat(activity).contains("license.versions_granted").doesNotContain("license.created");
  }

  @Test
  void apiTokenPage_makesATokenShownOnce_thatTheAdminApiAccepts_untilItIsRevoked() throws Exception {
    Browser editor = as(EDITOR);
    String page = editor.get("/console/api-tokens").body();
    assertThat(page).contains("<option value=\"editor\"").doesNotContain("<option value=\"admin\"");
    HttpResponse<String> made = editor.post("/console/api-tokens", Map.of("name", "ci-deploy", "role", "viewer",
        "expiresAt", "2099-01-01"));
    assertThat(made.statusCode()).isEqualTo(303);
    String shown = editor.get("/console/api-tokens").body();
    String secret = issuedToken(shown);
    assertThat(secret).startsWith("tsa_");
    assertThat(shown).contains("ci-deploy").contains("eddie@vendor.example");
    assertThat(editor.get("/console/api-tokens").body()).as("shown once").doesNotContain(secret);

    assertThat(ts.admin("GET", "/admin/v1/customers", null, secret).status()).isEqualTo(200);
    assertThat(ts.admin("POST", "/admin/v1/customers", "{\"name\":\"x\"}", secret).status()).isEqualTo(403);

    Matcher id = Pattern.compile("data-token=\"(at_[0-9a-f]+)\"").matcher(editor.get("/console/api-tokens").body());
    assertThat(id.find()).isTrue();
    HttpResponse<String> revoked = editor.post("/console/api-tokens/" + id.group(1) + "/revoke", Map.of());
    assertThat(revoked.statusCode()).isEqualTo(303);
    assertThat(ts.admin("GET", "/admin/v1/customers", null, secret).status()).isEqualTo(401);
    assertThat(editor.get("/console/api-tokens").body()).contains("revoked");
  }

  @Test
  void aTokenAboveTheMakersRole_isRefused() throws Exception {
    Browser editor = as(EDITOR);
    editor.get("/console/api-tokens");
    HttpResponse<String> r = editor.post("/console/api-tokens", Map.of("name", "sneaky", "role", "admin",
        "expiresAt", "2099-01-01"));
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.body()).contains("cannot be above its maker's");
    assertThat(ts.admin("GET", "/admin/v1/api-tokens", null).body().get("tokens")).isEmpty();
  }

  @Test
  void aViewer_seesOnlyTheirOwnTokens_andCannotRevokeSomeoneElses() throws Exception {
    Browser admin = adminToken();
    admin.get("/console/api-tokens");
    admin.post("/console/api-tokens", Map.of("name", "ops", "role", "admin", "expiresAt", "2099-01-01"));
    Matcher id = Pattern.compile("data-token=\"(at_[0-9a-f]+)\"").matcher(admin.get("/console/api-tokens").body());
    assertThat(id.find()).isTrue();
    Browser viewer = as(VIEWER);
    assertThat(viewer.get("/console/api-tokens").body()).doesNotContain("ops").contains("No API tokens.");
    HttpResponse<String> r = viewer.post("/console/api-tokens/" + id.group(1) + "/revoke", Map.of());
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.body()).contains("needs the admin role");
    assertThat(ts.admin("GET", "/admin/v1/api-tokens", null).body().get("tokens").get(0).get("state").asText())
        .isEqualTo("active");
  }

  @Test
  void activityPage_listsSignInsAndChanges_andFilters() throws Exception {
    Browser wrong = new Browser(ts.adminUrl());
    wrong.get("/console/sign-in");
    assertThat(wrong.post("/console/sign-in", Map.of("token", "wrong")).statusCode()).isEqualTo(401);
    Browser admin = adminToken();
    TestTurnstile.Login acme = ts.license("app", "1.0.0");
    ts.license("app", "2.0.0");
    String all = admin.get("/console/activity").body();
    assertThat(all).contains("sign_in.succeeded").contains("sign_in.failed").contains("wrong admin token")
        .contains("license.created");
    String filtered = admin.get("/console/activity?customerId=" + acme.customer()).body();
    assertThat(filtered).contains(acme.username()).doesNotContain("sign_in.");
    String none = admin.get("/console/activity?since=2000-01-01&until=2000-01-02").body();
    assertThat(none).contains("No activity matches.");
    String bad = admin.get("/console/activity?since=yesterday").body();
    assertThat(bad).contains("since:");
  }
}
