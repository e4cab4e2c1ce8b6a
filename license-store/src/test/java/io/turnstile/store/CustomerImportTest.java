package io.turnstile.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.turnstile.store.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CustomerImportTest {
  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(StoreFixture.T0);
  private LicenseStore store;

  @BeforeEach
  void open() throws Exception {
    store = StoreFixture.open(dir, clock);
  }

  @AfterEach
  void close() {
    store.close();
  }

  private static NewLicense license(String application, String... versions) {
    return new NewLicense(null, null, application, null, List.of(versions), null);
  }

  @Test
  void import_createsCustomersAndLicenses_whoseKeysWorkAtOnce() {
    UpstreamCredentials creds = new UpstreamCredentials("bot", "pw");
    List<ImportedCustomer> imported = store.importCustomers(List.of(
        new CustomerImport("Acme", List.of(license("app", "1.0.0", "1.1.0"),
            new NewLicense("trial", null, "tool", StoreFixture.T0.plus(Duration.ofDays(1)), List.of("3.0"), creds))),
        new CustomerImport("Globex", List.of()),
        new CustomerImport("Initech", List.of(license("app", "2.0.0")))), "migration");

    assertThat(imported).extracting(c -> c.customer().name()).containsExactly("Acme", "Globex", "Initech");
    assertThat(imported).extracting(c -> c.licenseKeys().size()).containsExactly(2, 0, 1);
    assertThat(store.customers()).extracting(Customer::id)
        .containsExactlyInAnyOrderElementsOf(imported.stream().map(c -> c.customer().id()).toList());

    IssuedKey prod = imported.get(0).licenseKeys().get(0);
    Access a = (Access) store.authorize(prod.username(), prod.key());
    assertThat(a.principal().customerId()).isEqualTo(imported.get(0).customer().id());
    assertThat(a.allowsTag("vendor/app", "1.1.0")).isTrue();

    IssuedKey trial = imported.get(0).licenseKeys().get(1);
    License t = store.license(new LicenseId(trial.username()));
    assertThat(t.name()).isEqualTo("trial");
    assertThat(t.upstreamCredentials()).isEqualTo(creds);
    assertThat(store.snapshot().license(t.id())).isEqualTo(t);
    clock.advance(Duration.ofDays(1));
    assertThat(store.authorize(trial.username(), trial.key())).isEqualTo(Refusal.EXPIRED);

    License named = store.license(new LicenseId(imported.get(2).licenseKeys().get(0).username()));
    assertThat(named.name()).as("defaults to the application, as createLicense does").isEqualTo("app");
    List<LicenseEvent> history = store.history(t.id());
    assertThat(history).extracting(LicenseEvent::action).containsExactly("license.created");
    assertThat(history.get(0).actor()).isEqualTo("migration");
    assertThat(history.get(0).detail()).contains("application=tool", "upstreamUsername=bot").doesNotContain("pw");
  }

  @Test
  void anInvalidEntry_isNamed_andNothingIsImported() {
    store.createCustomer("Existing", "t");
    long before = store.stats().statementsExecuted();
    assertThatThrownBy(() -> store.importCustomers(List.of(
        new CustomerImport("Acme", List.of(license("app", "1.0.0"))),
        new CustomerImport("Globex", List.of(license("app", "1.0.0"), license("app", "1.0", "bad version")))), "t"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("customers[1].licenses[1].versions[1]: 'bad version' is not a valid version");
    assertThatThrownBy(() -> store.importCustomers(List.of(new CustomerImport(" ", List.of())), "t"))
        .isInstanceOf(InvalidInputException.class).hasMessage("customers[0].name: must not be empty");
    assertThatThrownBy(() -> store.importCustomers(List.of(new CustomerImport("Acme", List.of(
        new NewLicense(null, new CustomerId("cus_other"), "app", null, List.of(), null)))), "t"))
        .isInstanceOf(InvalidInputException.class)
        .extracting(e -> ((InvalidInputException) e).field()).isEqualTo("customers[0].licenses[0].customerId");
    assertThatThrownBy(() -> store.importCustomers(List.of(new CustomerImport("Acme", List.of(license("nope")))), "t"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("customers[0].licenses[0].application: unknown application 'nope'");
    assertThat(store.stats().statementsExecuted()).as("checked before any SQL").isEqualTo(before);
    assertThat(store.customers()).extracting(Customer::name).containsExactly("Existing");
    assertThat(store.licenses(null)).isEmpty();
  }

  @Test
  void import_sendsRowsInBatches_notAStatementEach() {
    List<CustomerImport> batch = new ArrayList<>();
    for (int c = 0; c < 50; c++) {
      batch.add(new CustomerImport("Customer " + c, List.of(license("app", "1.0.0", "1.1.0"), license("tool", "3.0"))));
    }
    long before = store.stats().statementsExecuted();
    store.importCustomers(batch, "t");
    long statements = store.stats().statementsExecuted() - before;
    assertThat(statements).as("50 customers, 100 licenses, 150 versions, 150 events").isLessThan(20);
    assertThat(store.snapshot().licenses()).hasSize(100);
    assertThat(store.customers()).hasSize(50);
  }

  @Test
  void stats_countStatements_butAuthorizationRunsNone() {
    long opened = store.stats().statementsExecuted();
    assertThat(opened).as("the first snapshot was loaded").isPositive();
    CustomerId acme = store.createCustomer("Acme", "t").id();
    IssuedKey key = store.createLicense(new NewLicense("l", acme, "app", null, List.of("1.0.0"), null), "t");
    long written = store.stats().statementsExecuted();
    assertThat(written).isGreaterThan(opened);
    for (int i = 0; i < 100; i++) {
      store.authorize(key.username(), key.key());
      store.authorizeCredential(key.keyId());
      store.snapshot().license(new LicenseId(key.username()));
    }
    assertThat(store.stats().statementsExecuted()).isEqualTo(written);
    store.license(new LicenseId(key.username()));
    assertThat(store.stats().statementsExecuted()).isGreaterThan(written);
  }
}
