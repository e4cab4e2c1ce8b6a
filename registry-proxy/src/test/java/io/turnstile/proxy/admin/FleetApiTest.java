package io.turnstile.proxy.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.turnstile.config.ApplicationConfig;
import io.turnstile.config.InvalidValueException;
import io.turnstile.config.RepositoryConfig;
import io.turnstile.config.StoreConfig;
import io.turnstile.store.Catalog;
import io.turnstile.store.CredentialKind;
import io.turnstile.store.CustomerId;
import io.turnstile.store.LicenseId;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.NewLicense;
import io.turnstile.store.PullRecord;
import io.turnstile.store.StoreFactory;
import io.turnstile.store.testing.MutableClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fleet routes on a real SQLite store and the test's clock, so that "90 days without a pull"
 * and "expires within 30 days" can be reached: which licenses need attention and why, the versions
 * matrix, the adoption series, CSV, and bad input.
 */
class FleetApiTest {
  private static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");
  private static final List<ApplicationConfig> APPS = List.of(
      new ApplicationConfig("app", List.of(new RepositoryConfig("vendor/app", "up", null, null)),
          List.of("1.0.0", "0.x")),
      new ApplicationConfig("tool", List.of(new RepositoryConfig("vendor/tool", "up", null, null))));

  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(T0);
  private final ObjectMapper json = new ObjectMapper();
  private LicenseStore store;
  private FleetApi api;

  @BeforeEach
  void open() throws Exception {
    store = StoreFactory.open(new StoreConfig("jdbc:sqlite:" + dir.resolve("t.db"), null, null, null,
        dir.resolve("k"), 1), new Catalog(APPS), clock);
    api = new FleetApi(store, APPS, json, clock);
  }

  @AfterEach
  void close() {
    store.close();
  }

  private LicenseId license(String customer, String name, String application, Instant expiresAt) {
    CustomerId c = store.createCustomer(customer, "test").id();
    return new LicenseId(store.createLicense(new NewLicense(name, c, application, expiresAt, List.of("1.0.0"), null),
        "test").username());
  }

  private void pulled(LicenseId license, String version, Instant at, String address) {
    CustomerId customer = store.license(license).customerId();
    String application = store.license(license).application();
    store.pulls().append(List.of(new PullRecord(at, license, customer, CredentialKind.LICENSE_KEY, application,
        "vendor/" + application, version, version, "sha256:" + "a".repeat(64), address, "docker/27", null)));
  }

  private JsonNode get(String route, Map<String, List<String>> query) {
    AdminResponse r = api.route("GET", List.of("fleet", route), query, "application/json");
    assertThat(r.status()).as(String.valueOf(r.body())).isEqualTo(200);
    return r.body();
  }

  private String csv(String route, Map<String, List<String>> query, String accept) {
    AdminResponse r = api.route("GET", List.of("fleet", route), query, accept);
    assertThat(r.streamed()).as("a CSV answer").isNotNull();
    assertThat(r.streamed().contentType()).isEqualTo("text/csv; charset=utf-8");
    return new String(r.streamedBytes(), StandardCharsets.UTF_8);
  }

  private static List<String> reasons(JsonNode attention, LicenseId license) {
    List<String> out = new ArrayList<>();
    attention.get("licenses").forEach(l -> {
      if (l.get("licenseId").asText().equals(license.value())) {
        out.add(l.get("reason").asText());
      }
    });
    return out;
  }

  @Test
  void attention_namesExpiringIdleAndEndOfLifeLicenses_andLeavesTheRestOut() {
    LicenseId idle = license("Initech", "old", "app", null);
    LicenseId eol = license("Acme", "prod", "app", null);
    LicenseId expiring = license("Globex", "trial", "app", T0.plus(Duration.ofDays(110)));
    LicenseId revoked = license("Hooli", "gone", "app", null);
    store.revokeLicense(revoked, "test");
    clock.advance(Duration.ofDays(100));
    Instant now = clock.instant();
    LicenseId fresh = license("Umbrella", "new", "app", null);
    pulled(eol, "0.9.1-rc.1", now.minus(Duration.ofDays(3)), "192.0.2.1");
    pulled(expiring, "1.1.0", now.minus(Duration.ofDays(2)), "192.0.2.2");
    pulled(idle, "1.0.0", now.minus(Duration.ofDays(95)), "192.0.2.3");

    JsonNode a = get("attention", Map.of());
    assertThat(reasons(a, expiring)).containsExactly("expiring");
    assertThat(reasons(a, idle)).as("last pull 95 days ago; its 1.0.0 was pulled too long ago to count")
        .containsExactly("idle");
    assertThat(reasons(a, eol)).as("0.9.1-rc.1 lies in 0.x, pre-releases included").containsExactly("endOfLife");
    assertThat(reasons(a, fresh)).as("created today: not idle yet").isEmpty();
    assertThat(reasons(a, revoked)).isEmpty();
    JsonNode row = a.get("licenses").get(0);
    assertThat(row.get("customerName").asText()).isNotEmpty();
    assertThat(a.get("truncated").asBoolean()).isFalse();
    for (JsonNode l : a.get("licenses")) {
      if (l.get("reason").asText().equals("endOfLife")) {
        assertThat(l.get("version").asText()).isEqualTo("0.9.1-rc.1");
        assertThat(l.get("customerName").asText()).isEqualTo("Acme");
        assertThat(l.get("licenseName").asText()).isEqualTo("prod");
      }
    }
    assertThat(get("attention", Map.of("application", List.of("tool"))).get("licenses")).isEmpty();
    assertThat(csv("attention", Map.of("format", List.of("csv")), null))
        .startsWith("reason,customerId,customerName,licenseId,licenseName,application,version,at\r\n")
        .contains("expiring," + store.license(expiring).customerId().value() + ",Globex," + expiring.value() + ",trial,app,,")
        .contains("endOfLife,").contains(",0.9.1-rc.1,");
  }

  @Test
  void versions_giveEachLicensesLastVersion_whenAndFromHowManyAddresses() {
    LicenseId acme = license("Acme", "prod", "app", null);
    LicenseId globex = license("Globex", "prod", "app", null);
    LicenseId tool = license("Acme", "tools", "tool", null);
    clock.advance(Duration.ofDays(10));
    Instant now = clock.instant();
    pulled(acme, "1.0.0", now.minus(Duration.ofDays(5)), "192.0.2.1");
    pulled(acme, "1.1.0", now.minus(Duration.ofDays(1)), "192.0.2.1");
    pulled(acme, "1.1.0", now.minus(Duration.ofHours(1)), "192.0.2.2");
    pulled(globex, "1.0.0", now.minus(Duration.ofDays(2)), "192.0.2.9");
    pulled(tool, "2", now.minus(Duration.ofDays(100)), "192.0.2.9");

    JsonNode v = get("versions", Map.of());
    assertThat(v.get("licenses")).hasSize(2);
    JsonNode first = v.get("licenses").get(0);
    assertThat(first.get("licenseId").asText()).isEqualTo(acme.value());
    assertThat(first.get("version").asText()).isEqualTo("1.1.0");
    assertThat(first.get("lastPulledAt").asText()).isEqualTo(now.minus(Duration.ofHours(1)).toString());
    assertThat(first.get("clientAddresses").asLong()).isEqualTo(2);
    assertThat(first.get("endOfLife").asBoolean()).isFalse();
    assertThat(first.get("pulled").toString()).as("every version it pulled, last first").isEqualTo(
        "[{\"version\":\"1.1.0\",\"lastPulledAt\":\"" + now.minus(Duration.ofHours(1)) + "\",\"clientAddresses\":2,"
            + "\"endOfLife\":false},{\"version\":\"1.0.0\",\"lastPulledAt\":\"" + now.minus(Duration.ofDays(5))
            + "\",\"clientAddresses\":1,\"endOfLife\":true}]");
    JsonNode second = v.get("licenses").get(1);
    assertThat(second.get("customerName").asText()).isEqualTo("Globex");
    assertThat(second.get("version").asText()).isEqualTo("1.0.0");
    assertThat(second.get("endOfLife").asBoolean()).isTrue();
    assertThat(get("versions", Map.of("days", List.of("366"))).get("licenses")).as("the tool's pull is 100 days old")
        .hasSize(3);
    assertThat(csv("versions", Map.of(), "text/csv")).startsWith(
        "customerId,customerName,licenseId,licenseName,application,version,lastPulledAt,clientAddresses,endOfLife\r\n")
        .contains(",Globex," + globex.value() + ",prod,app,1.0.0,");
  }

  @Test
  void adoption_isOneDenseSeriesPerVersion_oldestDayFirst() {
    LicenseId acme = license("Acme", "prod", "app", null);
    LicenseId globex = license("Globex", "prod", "app", null);
    clock.advance(Duration.ofDays(3));
    Instant now = clock.instant();
    pulled(acme, "1.0.0", now.minus(Duration.ofDays(2)), "192.0.2.1");
    pulled(globex, "1.0.0", now.minus(Duration.ofDays(2)), "192.0.2.2");
    pulled(acme, "1.10.0", now, "192.0.2.1");
    pulled(acme, "1.9.0", now, "192.0.2.1");

    JsonNode a = get("adoption", Map.of("application", List.of("app"), "days", List.of("5")));
    assertThat(a.get("days")).hasSize(5);
    assertThat(a.get("days").get(4).asText()).isEqualTo(now.toString().substring(0, 10));
    List<String> versions = new ArrayList<>();
    a.get("series").forEach(s -> versions.add(s.get("version").asText()));
    assertThat(versions).as("in release order").containsExactly("1.0.0", "1.9.0", "1.10.0");
    assertThat(a.get("series").get(0).get("licenses").toString()).isEqualTo("[0,0,2,0,0]");
    assertThat(a.get("series").get(0).get("endOfLife").asBoolean()).isTrue();
    assertThat(a.get("series").get(2).get("licenses").toString()).isEqualTo("[0,0,0,0,1]");
    assertThat(csv("adoption", Map.of("format", List.of("csv"), "days", List.of("5")), null))
        .isEqualTo("day,application,version,licenses\r\n"
            + now.toString().substring(0, 10) + ",app,1.10.0,1\r\n"
            + now.toString().substring(0, 10) + ",app,1.9.0,1\r\n"
            + now.minus(Duration.ofDays(2)).toString().substring(0, 10) + ",app,1.0.0,2\r\n");
  }

  @Test
  void badInput_isRefusedNamingTheParameter_andOnlyGetIsAllowed() {
    assertThatThrownBy(() -> api.route("GET", List.of("fleet", "versions"), Map.of("application", List.of("nope")), null))
        .isInstanceOf(ApiError.class).hasMessage("application: no application named 'nope'");
    assertThatThrownBy(() -> api.route("GET", List.of("fleet", "adoption"), Map.of("days", List.of("0")), null))
        .isInstanceOf(ApiError.class).hasMessage("days: must be between 1 and 366");
    assertThatThrownBy(() -> api.route("GET", List.of("fleet", "adoption"), Map.of("days", List.of("ten")), null))
        .isInstanceOf(ApiError.class).hasMessage("days: must be a whole number");
    assertThatThrownBy(() -> api.route("GET", List.of("fleet", "attention"), Map.of("limit", List.of("1")), null))
        .isInstanceOf(ApiError.class).hasMessageStartingWith("limit: unknown parameter");
    assertThatThrownBy(() -> api.route("GET", List.of("fleet", "versions"), Map.of("format", List.of("xml")), null))
        .isInstanceOf(ApiError.class).hasMessage("format: must be json or csv");
    assertThatThrownBy(() -> api.route("POST", List.of("fleet", "versions"), Map.of(), null))
        .isInstanceOf(ApiError.class).satisfies(e -> assertThat(((ApiError) e).status).isEqualTo(405));
    assertThatThrownBy(() -> api.route("GET", List.of("fleet", "nothing"), Map.of(), null))
        .isInstanceOf(ApiError.class).satisfies(e -> assertThat(((ApiError) e).status).isEqualTo(404));
  }

  @Test
  void endOfLife_coversEqualVersionsAndRanges_andRefusesAnEntryItCannotRead() {
    EndOfLife eol = new EndOfLife(APPS);
    assertThat(eol.covers("app", "1.0.0")).isTrue();
    assertThat(eol.covers("app", "0.3.0")).isTrue();
    assertThat(eol.covers("app", "0.3.0-rc.1")).as("pre-releases included").isTrue();
    assertThat(eol.covers("app", "1.0.1")).isFalse();
    assertThat(eol.covers("tool", "1.0.0")).isFalse();
    assertThat(eol.covers("other", "1.0.0")).isFalse();
    EndOfLife calendar = new EndOfLife(List.of(new ApplicationConfig("cal",
        List.of(new RepositoryConfig("vendor/cal", "up", null, null)), List.of("2024.01", "v1"))));
    assertThat(calendar.covers("cal", "2024.01")).as("an exact version that is no semantic version").isTrue();
    assertThat(calendar.covers("cal", "v1")).isTrue();
    assertThat(calendar.covers("cal", "v2")).isFalse();
    assertThatThrownBy(() -> new EndOfLife(List.of(new ApplicationConfig("bad",
        List.of(new RepositoryConfig("vendor/bad", "up", null, null)), List.of("1.0.0", ">=1.0.0 <")))))
        .isInstanceOf(InvalidValueException.class)
        .satisfies(e -> assertThat(((InvalidValueException) e).field()).isEqualTo("applications[0].endOfLife[1]"));
  }
}
