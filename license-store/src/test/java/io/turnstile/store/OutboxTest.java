package io.turnstile.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.turnstile.store.testing.MutableClock;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The outbox lives and dies with the change that caused its event. */
class OutboxTest {
  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(StoreFixture.T0);

  @Test
  void aChangeWhoseEventCannotBeWritten_rollsBackWholly_andAChangeThatCommits_hasItsEvent() throws Exception {
    try (LicenseStore store = StoreFixture.open(dir, clock)) {
      String endpoint = store.webhooks().create(URI.create("https://hooks.example.com/"), "crm", List.of("*"), true,
          "test").endpoint().id();
      store.webhooks().renderWith(e -> {
        if (e.customer() != null && e.customer().name().equals("Doomed")) {
          throw new IllegalStateException("the event could not be written");
        }
        return "{\"type\":\"" + e.type() + "\"}";
      });
      assertThatThrownBy(() -> store.createCustomer("Doomed", "test")).hasMessageContaining("could not be written");
      assertThat(store.customers()).as("the change rolled back with its event").isEmpty();
      assertThat(store.webhooks().deliveries(endpoint, 10)).isEmpty();

      store.createCustomer("Acme", "test");
      assertThat(store.customers()).hasSize(1);
      assertThat(store.webhooks().deliveries(endpoint, 10)).extracting(WebhookDelivery::eventType)
          .containsExactly("customer.created");
    }
  }

  @Test
  void aRenamedCustomer_isCustomerUpdated_andAMovedLicense_isLicenseUpdatedWithItsCustomerId() throws Exception {
    try (LicenseStore store = StoreFixture.open(dir, clock)) {
      String endpoint = store.webhooks().create(URI.create("https://hooks.example.com/"), "crm", List.of("*"), true,
          "test").endpoint().id();
      List<String> rendered = new java.util.concurrent.CopyOnWriteArrayList<>();
      store.webhooks().renderWith(e -> {
        String what = e.type() + " " + e.details().getOrDefault("changes", List.of())
            + (e.license() == null ? "" : " " + e.license().customerId()) + (e.customer() == null ? "" : " " + e.customer().name());
        rendered.add(what);
        return "{}";
      });
      CustomerId acme = store.createCustomer("Acme", "test").id();
      CustomerId initech = store.createCustomer("Initech", "test").id();
      LicenseId license = new LicenseId(store.createLicense(new NewLicense("prod", acme, "app", null,
          List.of("1.0.0"), null), "test").username());
      rendered.clear();
      store.renameCustomer(acme, "Acme Corporation", "test");
      store.moveLicense(license, initech, "test");
      assertThat(rendered).containsExactly("customer.updated [name] Acme Corporation",
          "license.updated [customerId] " + initech + " Initech");
      assertThat(store.webhooks().deliveries(endpoint, 10)).extracting(WebhookDelivery::eventType)
          .contains("customer.updated", "license.updated");
    }
  }

  @Test
  void withNoEndpointEnabled_nothingIsWritten() throws Exception {
    try (LicenseStore store = StoreFixture.open(dir, clock)) {
      String endpoint = store.webhooks().create(URI.create("https://hooks.example.com/"), "crm", List.of("*"), false,
          "test").endpoint().id();
      assertThat(store.webhooks().active()).isFalse();
      store.createCustomer("Acme", "test");
      assertThat(store.webhooks().deliveries(endpoint, 10)).isEmpty();
      assertThat(store.webhooks().claim("r1", 10, Duration.ofSeconds(30))).isEmpty();
    }
  }

  @Test
  void aLeasedDelivery_isNotClaimedByAnotherReplica_untilTheLeaseEnds_andALaterEventOfTheSameLicenseWaits()
      throws Exception {
    try (LicenseStore store = StoreFixture.open(dir, clock)) {
      store.webhooks().create(URI.create("https://hooks.example.com/"), "crm", List.of("*"), true, "test");
      CustomerId customer = store.createCustomer("Acme", "test").id();
      LicenseId license = new LicenseId(store.createLicense(new NewLicense("prod", customer, "app", null,
          List.of("1.0.0"), null), "test").username());
      store.grantVersions(license, List.of("1.1.0"), "test");
      List<DueDelivery> first = store.webhooks().claim("r1", 10, Duration.ofSeconds(30));
      // customer.created and the license's first event; its second waits behind the first.
      assertThat(first).extracting(DueDelivery::eventType).containsExactly("customer.created", "license.created");
      assertThat(store.webhooks().claim("r2", 10, Duration.ofSeconds(30))).as("leased to r1").isEmpty();
      clock.advance(Duration.ofSeconds(31));
      List<DueDelivery> taken = store.webhooks().claim("r2", 10, Duration.ofSeconds(30));
      assertThat(taken).as("r1's lease ended: r2 takes over").extracting(DueDelivery::eventType)
          .containsExactly("customer.created", "license.created");
      // r1's late outcome is not recorded: the lease is r2's now.
      store.webhooks().delivered(first.get(1), "r1", 200, Duration.ofMillis(5));
      assertThat(store.webhooks().claim("r3", 10, Duration.ofSeconds(30))).isEmpty();
      store.webhooks().delivered(taken.get(1), "r2", 200, Duration.ofMillis(5));
      assertThat(store.webhooks().claim("r3", 10, Duration.ofSeconds(30))).extracting(DueDelivery::eventType)
          .containsExactly("license.version_granted");
      clock.advance(Duration.ofDays(31));
      assertThat(store.webhooks().prune(clock.instant().minus(Duration.ofDays(30)))).as("only the delivered one")
          .isEqualTo(1);
      assertThat(store.webhooks().countsByState()).containsEntry("delivered", 0L).containsEntry("pending", 2L);
    }
  }
}
