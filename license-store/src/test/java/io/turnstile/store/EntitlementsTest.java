package io.turnstile.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.turnstile.config.ApplicationConfig;
import io.turnstile.config.EntitlementField;
import io.turnstile.config.EntitlementType;
import io.turnstile.config.RepositoryConfig;
import io.turnstile.store.testing.MutableClock;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EntitlementsTest {
  private static final Catalog CATALOG = new Catalog(List.of(new ApplicationConfig("app",
      List.of(new RepositoryConfig("vendor/app", "up", null, null)), List.of(), List.of(
          new EntitlementField("seats", EntitlementType.INTEGER, "5", true),
          new EntitlementField("sso", EntitlementType.BOOLEAN, "false", false),
          new EntitlementField("supportUntil", EntitlementType.DATE, null, true)))));

  @TempDir java.nio.file.Path dir;
  private final MutableClock clock = new MutableClock(StoreFixture.T0);
  private LicenseStore store;
  private CustomerId acme;
  private final List<WebhookEvent> events = new ArrayList<>();

  @BeforeEach
  void open() throws Exception {
    store = StoreFactory.open(StoreFixture.config(dir), CATALOG, clock);
    acme = store.createCustomer("Acme", "t").id();
  }

  @AfterEach
  void close() {
    store.close();
  }

  private LicenseId create(Map<String, String> values) {
    IssuedKey k = store.createLicense(new NewLicense("prod", acme, "app", null, List.of("1.0.0"), List.of(), false,
        null, values), "t");
    return new LicenseId(k.username());
  }

  @Test
  void valuesAreKeptCanonical_andOnlyTheOnesSet() {
    LicenseId id = create(Map.of("seats", " 025", "supportUntil", "2027-01-31"));
    assertThat(store.license(id).entitlements()).isEqualTo(Map.of("seats", "25", "supportUntil", "2027-01-31"));
    assertThat(store.snapshot().license(id).entitlements()).isEqualTo(Map.of("seats", "25", "supportUntil", "2027-01-31"));
    assertThat(store.licenses(acme).get(0).entitlements()).containsEntry("seats", "25");
    assertThat(store.snapshot().entitlements().values("app", store.license(id).entitlements()))
        .containsExactly(Map.entry("seats", 25L), Map.entry("sso", false), Map.entry("supportUntil", "2027-01-31"));
  }

  @Test
  void aValueNotOfItsType_orAnUnknownField_isRefusedNamingTheField_andNothingIsCreated() {
    assertThatThrownBy(() -> create(Map.of("seats", "lots")))
        .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("entitlements.seats"))
        .hasMessageContaining("'lots' is not an integer");
    assertThatThrownBy(() -> create(Map.of("nodes", "3")))
        .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("entitlements.nodes"))
        .hasMessageContaining("has no entitlement field 'nodes'");
    assertThat(store.licenses(acme)).isEmpty();
  }

  @Test
  void anEdit_isInTheHistory_andTheOutboxAsLicenseUpdated_andNullGoesBackToTheDefault() {
    store.webhooks().renderWith(e -> {
      events.add(e);
      return "{}";
    });
    store.webhooks().create(URI.create("https://hooks.example.com/"), "crm", List.of("*"), true, "t");
    LicenseId id = create(Map.of("seats", "10"));
    clock.advance(java.time.Duration.ofMinutes(1));
    License edited = store.update(id, LicensePatch.none().withEntitlements(Map.of("seats", "25", "sso", "true")), "vendor");
    assertThat(edited.entitlements()).isEqualTo(Map.of("seats", "25", "sso", "true"));
    assertThat(edited.updatedAt()).isEqualTo(clock.instant());
    assertThat(store.history(id)).last().satisfies(e -> {
      assertThat(e.action()).isEqualTo("license.entitlements_changed");
      assertThat(e.actor()).isEqualTo("vendor");
      assertThat(e.detail()).isEqualTo("seats: 10 -> 25, sso: default -> true");
    });
    store.webhooks().claim("poller", 0, java.time.Duration.ofSeconds(30)); // fans the events out, rendering them
    assertThat(events).last().satisfies(e -> {
      assertThat(e.type()).isEqualTo(WebhookEvent.LICENSE_UPDATED);
      assertThat(e.details()).containsEntry("changes", List.of("entitlements"));
      assertThat(e.license().entitlements()).containsEntry("seats", "25");
    });

    Map<String, String> reset = new HashMap<>();
    reset.put("sso", null);
    assertThat(store.update(id, LicensePatch.none().withEntitlements(reset), "vendor").entitlements())
        .isEqualTo(Map.of("seats", "25"));
    assertThatThrownBy(() -> store.update(id, LicensePatch.none().withEntitlements(Map.of("sso", "maybe")), "vendor"))
        .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("entitlements.sso"));
  }

  @Test
  void anImportedLicense_carriesItsValues() {
    List<ImportedCustomer> imported = store.importCustomers(List.of(new CustomerImport("Initech", List.of(
        new NewLicense("prod", null, "app", null, List.of("1.0.0"), List.of(), false, null, Map.of("seats", "7"))))), "t");
    LicenseId id = new LicenseId(imported.get(0).licenseKeys().get(0).username());
    assertThat(store.license(id).entitlements()).isEqualTo(Map.of("seats", "7"));
  }
}
