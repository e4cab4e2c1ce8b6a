package io.turnstile.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.turnstile.store.testing.MutableClock;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The outbox lives and dies with the change that caused its event. */
class OutboxTest {
  private static final Duration LEASE = Duration.ofSeconds(30);
  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(StoreFixture.T0);

  /** Fans out the events waiting, as the delivery poller does after a write, leasing nothing. */
  private static void fanOut(LicenseStore store) {
    store.webhooks().claim("fan-out", 0, LEASE);
  }

  @Test
  void aChangeWhoseEventCannotBeWritten_rollsBackWholly_andAChangeThatCommits_hasItsEvent() throws Exception {
    try (LicenseStore store = StoreFixture.open(dir, clock);
        Connection db = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("turnstile.db"))) {
      String endpoint = store.webhooks().create(URI.create("https://hooks.example.com/"), "crm", List.of("*"), true,
          "test").endpoint().id();
      try (Statement s = db.createStatement()) {
        s.execute("CREATE TRIGGER doomed BEFORE INSERT ON outbox_pending BEGIN"
            + " SELECT RAISE(ABORT, 'the event could not be written'); END");
      }
      assertThatThrownBy(() -> store.createCustomer("Doomed", "test")).hasMessageContaining("could not be written");
      assertThat(store.customers()).as("the change rolled back with its event").isEmpty();
      fanOut(store);
      assertThat(store.webhooks().deliveries(endpoint, 10)).isEmpty();

      try (Statement s = db.createStatement()) {
        s.execute("DROP TRIGGER doomed");
      }
      store.createCustomer("Acme", "test");
      assertThat(store.customers()).hasSize(1);
      fanOut(store);
      assertThat(store.webhooks().deliveries(endpoint, 10)).extracting(WebhookDelivery::eventType)
          .containsExactly("customer.created");
    }
  }

  @Test
  void anEventWhosePayloadCannotBeRendered_isStillSent_namingItsSubject() throws Exception {
    try (LicenseStore store = StoreFixture.open(dir, clock)) {
      store.webhooks().create(URI.create("https://hooks.example.com/"), "crm", List.of("*"), true, "test");
      store.webhooks().renderWith(e -> {
        throw new IllegalStateException("no payload");
      });
      CustomerId acme = store.createCustomer("Acme", "test").id();
      List<DueDelivery> due = store.webhooks().claim("r1", 10, LEASE);
      assertThat(due).extracting(DueDelivery::eventType).containsExactly("customer.created");
      assertThat(due.get(0).payload()).contains("\"type\":\"customer.created\"")
          .contains("\"data\":{\"id\":\"" + acme.value() + "\"}");
    }
  }

  @Test
  void aPayload_showsTheLicenseAsItsChangeLeftIt_evenWhenFannedOutAfterLaterChanges() throws Exception {
    try (LicenseStore store = StoreFixture.open(dir, clock)) {
      StoreFixture.oneEndpointShowingVersions(store);
      CustomerId acme = store.createCustomer("Acme", "test").id();
      LicenseId license = new LicenseId(store.createLicense(new NewLicense("prod", acme, "app", null,
          List.of("1.0.0"), null), "test").username());
      store.grantVersions(license, List.of("1.1.0"), "test");
      store.revokeVersion(license, "1.0.0", "test");
      fanOut(store);
      List<String> payloads = new java.util.ArrayList<>();
      for (int i = 0; i < 4; i++) {
        List<DueDelivery> due = store.webhooks().claim("r1", 10, LEASE);
        due.forEach(d -> payloads.add(d.payload()));
        due.forEach(d -> store.webhooks().delivered(d, "r1", 200, Duration.ofMillis(1)));
      }
      assertThat(payloads).containsExactly("customer.created ", "license.created [1.0.0]",
          "license.version_granted [1.0.0, 1.1.0]", "license.version_revoked [1.1.0]");
    }
  }

  @Test
  void anEventCommittedJustBeforeAStop_isSentAfterTheRestart_renderedFromTheDatabase() throws Exception {
    try (LicenseStore store = StoreFixture.open(dir, clock)) {
      store.webhooks().create(URI.create("https://hooks.example.com/"), "crm", List.of("*"), true, "test");
      store.createCustomer("Acme", "test");
      // Stopped before its poller fanned the event out: only the row written with the change is left.
    }
    try (LicenseStore store = StoreFixture.open(dir, clock)) {
      store.webhooks().renderWith(e -> e.type() + " " + e.customer().name());
      assertThat(store.webhooks().claim("r1", 10, LEASE)).as("left to the replica that wrote it, for a while")
          .isEmpty();
      clock.advance(Duration.ofSeconds(6));
      assertThat(store.webhooks().claim("r1", 10, LEASE)).extracting(DueDelivery::payload)
          .containsExactly("customer.created Acme");
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
      fanOut(store);
      rendered.clear();
      store.renameCustomer(acme, "Acme Corporation", "test");
      store.moveLicense(license, initech, "test");
      fanOut(store);
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
      List<DueDelivery> first = store.webhooks().claim("r1", 10, LEASE);
      // customer.created first: its license's events wait behind it, each behind the one before.
      assertThat(first).extracting(DueDelivery::eventType).containsExactly("customer.created");
      assertThat(store.webhooks().claim("r2", 10, LEASE)).as("leased to r1").isEmpty();
      clock.advance(Duration.ofSeconds(31));
      List<DueDelivery> taken = store.webhooks().claim("r2", 10, LEASE);
      assertThat(taken).as("r1's lease ended: r2 takes over").extracting(DueDelivery::eventType)
          .containsExactly("customer.created");
      // r1's late outcome is not recorded: the lease is r2's now.
      store.webhooks().delivered(first.get(0), "r1", 200, Duration.ofMillis(5));
      assertThat(store.webhooks().claim("r3", 10, LEASE)).isEmpty();
      // r2 records its success and takes what it let through, in one write.
      assertThat(store.webhooks().settleAndClaim(List.of(new Webhooks.Delivered(taken.get(0), 200,
          Duration.ofMillis(5))), List.of(), "r2", 10, 1, LEASE)).flatExtracting(run -> run)
          .extracting(DueDelivery::eventType).containsExactly("license.created");
      clock.advance(Duration.ofDays(31));
      assertThat(store.webhooks().prune(clock.instant().minus(Duration.ofDays(30)))).as("only the delivered one")
          .isEqualTo(1);
      assertThat(store.webhooks().countsByState()).containsEntry("delivered", 0L).containsEntry("pending", 2L);
    }
  }
}
