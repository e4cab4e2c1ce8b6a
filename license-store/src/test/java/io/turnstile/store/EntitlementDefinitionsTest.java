package io.turnstile.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.turnstile.config.ApplicationConfig;
import io.turnstile.config.EntitlementField;
import io.turnstile.config.EntitlementType;
import io.turnstile.config.RepositoryConfig;
import io.turnstile.store.EntitlementFields.Source;
import io.turnstile.store.testing.MutableClock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Entitlement fields defined through the store's API, beside the configured ones. */
class EntitlementDefinitionsTest {
  private static final Catalog CATALOG = new Catalog(List.of(new ApplicationConfig("app",
      List.of(new RepositoryConfig("vendor/app", "up", null, null)), List.of(), List.of(
          new EntitlementField("seats", EntitlementType.INTEGER, "5", true)))));

  @TempDir java.nio.file.Path dir;
  private final MutableClock clock = new MutableClock(StoreFixture.T0);
  private LicenseStore store;
  private CustomerId acme;

  @BeforeEach
  void open() throws Exception {
    store = StoreFactory.open(StoreFixture.config(dir), CATALOG, clock);
    acme = store.createCustomer("Acme", "t").id();
  }

  @AfterEach
  void close() {
    store.close();
  }

  private EntitlementDefinitions defs() {
    return store.entitlementDefinitions();
  }

  private LicenseId create(Map<String, String> values) {
    IssuedKey k = store.createLicense(new NewLicense("prod", acme, "app", null, List.of("1.0.0"), List.of(), false,
        null, values), "t");
    return new LicenseId(k.username());
  }

  private static EntitlementField field(String name, EntitlementType type, String def, boolean visible) {
    return new EntitlementField(name, type, def, visible);
  }

  @Test
  void aDefinedField_followsTheConfiguredOnes_andIsValidatedAndValuedLikeThem() {
    EntitlementDefinitions.Defined d = defs().define("app", field("nodes", EntitlementType.INTEGER, "3", false), "vendor");
    assertThat(d.created()).isTrue();
    assertThat(store.snapshot().entitlements().of("app"))
        .extracting(EntitlementFields.Field::name, EntitlementFields.Field::source)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("seats", Source.CONFIG),
            org.assertj.core.groups.Tuple.tuple("nodes", Source.API));

    LicenseId id = create(Map.of("nodes", " 07"));
    assertThat(store.license(id).entitlements()).isEqualTo(Map.of("nodes", "7"));
    assertThat(store.snapshot().entitlements().values("app", store.license(id).entitlements()))
        .containsExactly(Map.entry("seats", 5L), Map.entry("nodes", 7L));
    assertThatThrownBy(() -> create(Map.of("nodes", "many")))
        .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("entitlements.nodes"))
        .hasMessageContaining("'many' is not an integer");
  }

  @Test
  void eachChange_isInTheActivityLog_andDefiningTheSameAgainRecordsNothing() {
    defs().define("app", field("sso", EntitlementType.BOOLEAN, null, false), "vendor");
    EntitlementDefinitions.Defined again = defs().define("app", field("sso", EntitlementType.BOOLEAN, null, false),
        "vendor");
    assertThat(again.created()).isFalse();
    defs().define("app", field("sso", EntitlementType.BOOLEAN, "true", true), "vendor");
    defs().delete("app", "sso", "vendor");

    List<ActivityRecord> records = store.activity().find(new ActivityQuery(null, null, null, null, null, 10, null))
        .records().stream().filter(r -> r.action().startsWith(EntitlementDefinitions.EVENT_PREFIX)).toList();
    assertThat(records).extracting(ActivityRecord::action).containsExactly("application.entitlement_deleted",
        "application.entitlement_changed", "application.entitlement_defined");
    assertThat(records.get(1).detail())
        .isEqualTo("app.sso: type=boolean default=true visible=true (was type=boolean default=null visible=false)");
    assertThat(records).allSatisfy(r -> assertThat(r.actor()).isEqualTo("vendor"));
    assertThat(store.snapshot().entitlements().field("app", "sso")).isNull();
  }

  @Test
  void aConfiguredField_cannotBeChangedOrDeleted_andAnUnknownApplicationIsNamed() {
    assertThatThrownBy(() -> defs().define("app", field("seats", EntitlementType.STRING, null, false), "vendor"))
        .isInstanceOf(ConflictException.class).hasMessageContaining("defined in the configuration");
    assertThatThrownBy(() -> defs().delete("app", "seats", "vendor"))
        .isInstanceOf(ConflictException.class).hasMessageContaining("defined in the configuration");
    assertThatThrownBy(() -> defs().define("nope", field("x", EntitlementType.STRING, null, false), "vendor"))
        .isInstanceOf(NoSuchApplicationException.class).hasMessageContaining("'nope'");
    assertThatThrownBy(() -> defs().delete("app", "never", "vendor"))
        .isInstanceOf(NoSuchEntitlementFieldException.class).hasMessageContaining("'never'");
  }

  @Test
  void theType_changesOnlyWhileEveryLiveValueFitsIt() {
    defs().define("app", field("tier", EntitlementType.STRING, null, false), "vendor");
    LicenseId gold = create(Map.of("tier", "gold"));
    create(Map.of("tier", "12"));
    assertThatThrownBy(() -> defs().define("app", field("tier", EntitlementType.INTEGER, null, false), "vendor"))
        .isInstanceOf(ConflictException.class)
        .hasMessageContaining("1 license holds a value that is not an integer (" + gold + ")");
    assertThat(store.snapshot().entitlements().field("app", "tier").definition().type())
        .isEqualTo(EntitlementType.STRING);

    // A revoked license is frozen: its value does not hold the change back, and is no longer used.
    store.revokeLicense(gold, "vendor");
    defs().define("app", field("tier", EntitlementType.INTEGER, "1", false), "vendor");
    assertThat(store.snapshot().entitlements().values("app", store.license(gold).entitlements()))
        .containsEntry("tier", 1L);
  }

  @Test
  void aFieldWhoseValuesLicensesHold_isNotDeleted_untilTheyAreCleared() {
    defs().define("app", field("nodes", EntitlementType.INTEGER, null, false), "vendor");
    LicenseId id = create(Map.of("nodes", "4"));
    assertThatThrownBy(() -> defs().delete("app", "nodes", "vendor"))
        .isInstanceOf(ConflictException.class)
        .hasMessageContaining("1 license holds a value for it").hasMessageContaining(id.value());
    Map<String, String> clear = new HashMap<>();
    clear.put("nodes", null);
    store.update(id, LicensePatch.none().withEntitlements(clear), "vendor");
    defs().delete("app", "nodes", "vendor");
    assertThatThrownBy(() -> create(Map.of("nodes", "4")))
        .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("entitlements.nodes"));
  }

  @Test
  void definitions_surviveAReopen() throws Exception {
    defs().define("app", field("region", EntitlementType.STRING, "eu", true), "vendor");
    store.close();
    store = StoreFactory.open(StoreFixture.config(dir), CATALOG, clock);
    EntitlementFields.Field f = store.snapshot().entitlements().field("app", "region");
    assertThat(f.source()).isEqualTo(Source.API);
    assertThat(f.definition()).isEqualTo(field("region", EntitlementType.STRING, "eu", true));
  }
}
