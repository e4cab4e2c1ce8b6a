package io.turnstile.proxy.licensing;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.nimbusds.jose.jwk.JWKSet;
import io.turnstile.proxy.testing.Browser;
import io.turnstile.proxy.testing.EventStream;
import io.turnstile.proxy.testing.TestTurnstile;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Entitlements in the console and the portal, and the license file both hand out. */
class LicenseFilesWebIT {
  @RegisterExtension
  static WireMockExtension upstream = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();
  private static final Duration PATIENCE = Duration.ofSeconds(30);
  private static final Pattern FILE_LINK = Pattern.compile("href=\"(/portal/licenses/[^\"]+/file\\?v=[0-9]+)\"");

  @TempDir Path dir;
  private TestTurnstile ts;
  private Browser console;
  private Browser portal;
  private JsonNode license;

  @BeforeEach
  void start() throws Exception {
    ts = TestTurnstile.withEntitlements(dir, upstream.baseUrl(), "");
    String customer = ts.admin("POST", "/admin/v1/customers", "{\"name\":\"Acme\"}").body().get("id").asText();
    license = ts.admin("POST", "/admin/v1/licenses", "{\"customerId\":\"" + customer
        + "\",\"application\":\"app\",\"versions\":[\"1.0.0\"],\"entitlements\":{\"seats\":10}}").body();
    console = new Browser(ts.adminUrl());
    console.get("/console/sign-in");
    assertThat(console.post("/console/sign-in", Map.of("token", TestTurnstile.ADMIN_TOKEN)).statusCode()).isEqualTo(303);
    portal = new Browser(ts.registryUrl());
    portal.get("/portal/sign-in");
    portal.post("/portal/sign-in", Map.of("username", license.get("id").asText(), "key", license.get("key").asText()));
  }

  @AfterEach
  void stop() {
    ts.close();
  }

  private static String fileLink(String html) {
    Matcher m = FILE_LINK.matcher(html);
    assertThat(m.find()).as("the portal offers the license file").isTrue();
    return m.group(1);
  }

  private JsonNode claimsOf(String jws) throws Exception {
    JWKSet keys = JWKSet.parse(portal.get("/.well-known/license-keys.json").body());
    return ts.json.readTree(LicenseVerifier.files(keys).verify(jws).toString());
  }

  @Test
  void seatsSetInTheConsole_reachTheOpenPortalWithANewFile_withinOneSecond() throws Exception {
    String id = license.get("id").asText();
    try (EventStream events = EventStream.open(portal, "/portal/events", null)) {
      String first = events.next("licenses", PATIENCE);
      assertThat(first).contains("data-entitlement=\"seats\">10<").doesNotContain("data-entitlement=\"sso\"");
      String before = fileLink(first);

      HttpResponse<String> page = console.get("/console/licenses/" + id);
      assertThat(page.body()).contains("id=\"ent-seats\"").contains("hidden from the customer");
      HttpResponse<String> saved = console.post("/console/licenses/" + id + "/entitlements",
          Map.of("ent.seats", "25", "ent.sso", "", "ent.supportUntil", ""));
      assertThat(saved.statusCode()).isEqualTo(303);
      assertThat(console.get(saved.headers().firstValue("Location").orElseThrow()).body())
          .contains("Entitlements saved").contains("data-entitlement=\"seats\">25<");

      // The page may be sent again for other reasons meanwhile: wait for the one with the edit.
      Instant deadline = Instant.now().plus(PATIENCE);
      String update = events.next("licenses", PATIENCE);
      while (!update.contains("data-entitlement=\"seats\">25<") && Instant.now().isBefore(deadline)) {
        update = events.next("licenses", Duration.between(Instant.now(), deadline));
      }
      ts.assertWithinASecondOfTheEdit(id, Instant.now(), "the new seats");
      assertThat(update).contains("data-entitlement=\"seats\">25<");
      String after = fileLink(update);
      assertThat(after).isNotEqualTo(before);
      HttpResponse<String> file = portal.get(after.replace("&amp;", "&"));
      assertThat(file.statusCode()).isEqualTo(200);
      assertThat(file.headers().firstValue("Content-Disposition")).hasValue("attachment; filename=\"" + id + ".jwt\"");
      assertThat(claimsOf(file.body()).get("entitlements").get("seats").asLong()).isEqualTo(25);
    }
    HttpResponse<String> fromConsole = console.get("/console/licenses/" + id + "/file");
    assertThat(fromConsole.statusCode()).isEqualTo(200);
    assertThat(claimsOf(fromConsole.body()).get("sub").asText()).isEqualTo(id);
  }

  @Test
  void aFieldDefinedThroughTheApi_isEditedInTheConsoleWithItsSource_andShownInThePortal() throws Exception {
    String id = license.get("id").asText();
    assertThat(ts.admin("PUT", "/admin/v1/applications/app/entitlements/region",
        "{\"type\":\"string\",\"default\":\"eu\",\"visible\":true}").status()).isEqualTo(201);
    String page = console.get("/console/licenses/" + id).body();
    assertThat(page).contains("id=\"ent-region\"").contains("data-source=\"api\">defined through the API")
        .contains("data-source=\"config\">from the configuration");
    assertThat(console.get("/console/licenses/new").body()).contains("name=\"ent.app.region\"");
    HttpResponse<String> saved = console.post("/console/licenses/" + id + "/entitlements",
        Map.of("ent.seats", "10", "ent.sso", "", "ent.supportUntil", "", "ent.region", "us"));
    assertThat(saved.statusCode()).as(saved.body()).isEqualTo(303);
    assertThat(portal.get("/portal/").body()).contains("data-entitlement=\"region\">us<");
  }

  @Test
  void anotherCustomersLicenseFile_isNotFoundInThePortal() throws Exception {
    String other = ts.admin("POST", "/admin/v1/customers", "{\"name\":\"Initech\"}").body().get("id").asText();
    String theirs = ts.admin("POST", "/admin/v1/licenses", "{\"customerId\":\"" + other
        + "\",\"application\":\"app\",\"versions\":[\"1.0.0\"]}").body().get("id").asText();
    portal.get("/portal/");
    assertThat(portal.get("/portal/licenses/" + theirs + "/file").statusCode()).isEqualTo(404);
    assertThat(portal.get("/portal/licenses/lic_nosuch/file").statusCode()).isEqualTo(404);
  }

  @Test
  void theCreateForm_takesTheChosenApplicationsEntitlements_andNamesABadOne() throws Exception {
    String customer = license.get("customerId").asText();
    HttpResponse<String> form = console.get("/console/licenses/new");
    assertThat(form.body()).contains("name=\"ent.app.seats\"");
    HttpResponse<String> refused = console.post("/console/licenses", Map.of("customerId", customer, "application", "app",
        "version.app", "1.0.0", "moreVersions", "1.0.0", "confirmUnknown", "true", "ent.app.seats", "lots"));
    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(refused.body()).contains("Entitlements: seats: 'lots' is not an integer");
    HttpResponse<String> created = console.post("/console/licenses", Map.of("customerId", customer, "application", "app",
        "moreVersions", "1.0.0", "confirmUnknown", "true", "ent.app.seats", "7", "ent.app.sso", "true"));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(303);
    JsonNode licenses = ts.admin("GET", "/admin/v1/licenses?customerId=" + customer, null).body().get("licenses");
    assertThat(licenses.get(licenses.size() - 1).get("entitlements").toString()).isEqualTo("{\"seats\":7,\"sso\":true}");
  }

  @Test
  void aCreateFormRefusedForABadRange_comesBackWithTheEntitlementsAsTyped() throws Exception {
    String customer = license.get("customerId").asText();
    console.get("/console/licenses/new");
    HttpResponse<String> refused = console.post("/console/licenses", Map.of("customerId", customer, "application", "app",
        "ranges", "not a range!!", "ent.app.seats", "25", "ent.app.sso", "true", "ent.app.supportUntil", "2027-06-30"));
    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(refused.body()).contains("id=\"ranges-error\"")
        .contains("name=\"ent.app.seats\" type=\"number\" value=\"25\"")
        .contains("<option value=\"true\" selected>true</option>")
        .contains("value=\"2027-06-30\"");

    HttpResponse<String> badValue = console.post("/console/licenses", Map.of("customerId", customer,
        "application", "app", "moreVersions", "1.0.0", "confirmUnknown", "true", "ent.app.seats", "lots",
        "ent.app.sso", "false"));
    assertThat(badValue.statusCode()).isEqualTo(400);
    assertThat(badValue.body()).contains("value=\"lots\"").contains("<option value=\"false\" selected>false</option>");
  }
}
