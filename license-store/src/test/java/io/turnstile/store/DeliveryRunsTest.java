package io.turnstile.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.turnstile.store.testing.MutableClock;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A poller leases a customer's due deliveries to one endpoint as one run, in commit order, so a
 * burst of one customer's events takes one look rather than one each; a run never jumps over a
 * delivery that is not due, and what a poller hands back unattempted is due again at once.
 */
class DeliveryRunsTest {
  private static final Duration LEASE = Duration.ofSeconds(30);
  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(StoreFixture.T0);

  /** Acme with a license granted two more versions (four events), then Initech (one). */
  private static LicenseId twoCustomers(LicenseStore store) {
    StoreFixture.oneEndpointShowingVersions(store);
    CustomerId acme = store.createCustomer("Acme", "test").id();
    LicenseId license = new LicenseId(store.createLicense(new NewLicense("prod", acme, "app", null,
        List.of("1.0.0"), null), "test").username());
    store.grantVersions(license, List.of("1.1.0"), "test");
    store.grantVersions(license, List.of("1.2.0"), "test");
    store.createCustomer("Initech", "test");
    return license;
  }

  private static List<List<String>> types(List<List<DueDelivery>> runs) {
    return runs.stream().map(run -> run.stream().map(DueDelivery::eventType).toList()).toList();
  }

  private static List<List<DueDelivery>> claim(LicenseStore store, String replica, int chain) {
    return store.webhooks().settleAndClaim(List.of(), List.of(), replica, 10, chain, LEASE);
  }

  @Test
  void eachCustomersDueDeliveries_areLeasedAsOneRun_inCommitOrder() throws Exception {
    try (LicenseStore store = StoreFixture.open(dir, clock)) {
      twoCustomers(store);
      List<List<DueDelivery>> runs = claim(store, "r1", 100);
      assertThat(types(runs)).containsExactly(
          List.of("customer.created", "license.created", "license.version_granted", "license.version_granted"),
          List.of("customer.created"));
      assertThat(runs.get(0).get(2).payload()).contains("1.1.0").doesNotContain("1.2.0");
      assertThat(runs.get(0)).extracting(DueDelivery::leaseUntil).containsOnly(clock.instant().plus(LEASE));
      assertThat(claim(store, "r2", 100)).as("all leased to r1").isEmpty();
    }
  }

  @Test
  void aRunIsAtMostChainLong_andTheNextOneWaitsUntilItIsSettled() throws Exception {
    try (LicenseStore store = StoreFixture.open(dir, clock)) {
      twoCustomers(store);
      List<List<DueDelivery>> first = claim(store, "r1", 2);
      assertThat(types(first)).containsExactly(List.of("customer.created", "license.created"),
          List.of("customer.created"));
      assertThat(claim(store, "r2", 2)).as("behind r1's run").isEmpty();
      List<Webhooks.Delivered> done = first.get(0).stream()
          .map(d -> new Webhooks.Delivered(d, 204, Duration.ofMillis(1))).toList();
      List<List<DueDelivery>> next = store.webhooks().settleAndClaim(done, List.of(), "r1", 10, 2, LEASE);
      assertThat(types(next)).containsExactly(List.of("license.version_granted", "license.version_granted"));
    }
  }

  @Test
  void whatARunLeftUnattempted_isDueAgainAtOnce_toAnyReplica() throws Exception {
    try (LicenseStore store = StoreFixture.open(dir, clock)) {
      twoCustomers(store);
      List<DueDelivery> run = claim(store, "r1", 100).get(0);
      // r1 delivered the first two and stopped: the rest go back without waiting for the lease.
      List<Webhooks.Delivered> done = run.subList(0, 2).stream()
          .map(d -> new Webhooks.Delivered(d, 204, Duration.ofMillis(1))).toList();
      assertThat(store.webhooks().settleAndClaim(done, run.subList(2, 4), "r1", 0, 1, LEASE)).isEmpty();
      assertThat(types(claim(store, "r2", 100)))
          .containsExactly(List.of("license.version_granted", "license.version_granted"));
    }
  }

  @Test
  void aFailedDelivery_holdsBackTheRestOfItsRun_untilItsRetrySucceeds() throws Exception {
    try (LicenseStore store = StoreFixture.open(dir, clock)) {
      twoCustomers(store);
      List<List<DueDelivery>> runs = claim(store, "r1", 100);
      List<DueDelivery> run = runs.get(0);
      store.webhooks().delivered(runs.get(1).get(0), "r1", 204, Duration.ofMillis(1));
      store.webhooks().delivered(run.get(0), "r1", 204, Duration.ofMillis(1));
      Instant retryAt = clock.instant().plusSeconds(60);
      store.webhooks().failed(run.get(1), "r1", 500, "HTTP 500", Duration.ofMillis(1), retryAt,
          clock.instant().minus(Duration.ofDays(1)));
      store.webhooks().settleAndClaim(List.of(), run.subList(2, 4), "r1", 0, 1, LEASE);
      assertThat(claim(store, "r2", 100)).as("license.created waits for its retry; the rest behind it").isEmpty();
      clock.advance(Duration.ofSeconds(61));
      assertThat(types(claim(store, "r2", 100))).containsExactly(
          List.of("license.created", "license.version_granted", "license.version_granted"));
    }
  }

  @Test
  void aRunStopsBeforeADeliveryLeasedElsewhere() throws Exception {
    try (LicenseStore store = StoreFixture.open(dir, clock)) {
      twoCustomers(store);
      List<DueDelivery> r1 = claim(store, "r1", 100).get(0);
      store.webhooks().delivered(r1.get(0), "r1", 204, Duration.ofMillis(1));
      // r1 hands back license.created only: the two after it are still r1's.
      store.webhooks().settleAndClaim(List.of(), r1.subList(1, 2), "r1", 0, 1, LEASE);
      assertThat(types(claim(store, "r2", 100))).containsExactly(List.of("license.created"));
    }
  }

  @Test
  void aNewEventOfTheCustomer_joinsTheRunBehindTheOlderOnes() throws Exception {
    try (LicenseStore store = StoreFixture.open(dir, clock)) {
      LicenseId license = twoCustomers(store);
      List<DueDelivery> r1 = claim(store, "r1", 100).get(0);
      store.webhooks().deliveredAll(r1.subList(0, 2).stream()
          .map(d -> new Webhooks.Delivered(d, 204, Duration.ofMillis(1))).toList(), "r1");
      store.webhooks().settleAndClaim(List.of(), r1.subList(2, 4), "r1", 0, 1, LEASE);
      store.grantVersions(license, List.of("1.3.0"), "test");
      List<List<DueDelivery>> r2 = claim(store, "r2", 100);
      assertThat(types(r2)).containsExactly(
          List.of("license.version_granted", "license.version_granted", "license.version_granted"));
      assertThat(r2.get(0).get(2).payload()).contains("1.3.0");
    }
  }

  @Test
  void aRunStopsBeforeAnEventStillWaitingToBeFannedOut() throws Exception {
    LicenseId license;
    try (LicenseStore store = StoreFixture.open(dir, clock)) {
      store.webhooks().create(URI.create("https://hooks.example.com/"), "crm", List.of("*"), true, "test");
      CustomerId acme = store.createCustomer("Acme", "test").id();
      store.webhooks().claim("fan-out", 0, LEASE);
      // Stopped before this event was fanned out: after the restart nothing is kept for it, so it
      // waits for its writer a while.
      license = new LicenseId(store.createLicense(new NewLicense("prod", acme, "app", null, List.of("1.0.0"), null),
          "test").username());
    }
    try (LicenseStore store = StoreFixture.open(dir, clock)) {
      store.grantVersions(license, List.of("1.1.0"), "test");
      assertThat(types(claim(store, "r1", 100))).as("license.created still waits: what follows it waits too")
          .containsExactly(List.of("customer.created"));
    }
  }

  @Test
  void aFanOutThatFails_keepsTheSubjects_soItsRetryStillShowsTheLicenseAsItsChangeLeftIt() throws Exception {
    try (LicenseStore store = StoreFixture.open(dir, clock);
        java.sql.Connection db = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("turnstile.db"))) {
      LicenseId license = twoCustomers(store);
      try (java.sql.Statement s = db.createStatement()) {
        s.execute("CREATE TRIGGER doomed BEFORE INSERT ON outbox_events BEGIN"
            + " SELECT RAISE(ABORT, 'the fan-out could not be written'); END");
      }
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> claim(store, "r1", 100))
          .hasMessageContaining("could not be written");
      try (java.sql.Statement s = db.createStatement()) {
        s.execute("DROP TRIGGER doomed");
      }
      store.grantVersions(license, List.of("1.3.0"), "test");
      List<DueDelivery> acme = claim(store, "r1", 100).get(0);
      assertThat(acme).extracting(DueDelivery::payload).containsExactly("customer.created ",
          "license.created [1.0.0]", "license.version_granted [1.0.0, 1.1.0]",
          "license.version_granted [1.0.0, 1.1.0, 1.2.0]", "license.version_granted [1.0.0, 1.1.0, 1.2.0, 1.3.0]");
    }
  }

  @Test
  void aFanOutOfMoreDeliveriesThanOneBatch_writesEveryEventBeforeItsDeliveries() throws Exception {
    try (LicenseStore store = StoreFixture.open(dir, clock)) {
      for (int i = 0; i < 11; i++) {
        store.webhooks().create(URI.create("https://hooks.example.com/" + i), "crm " + i, List.of("*"), true, "test");
      }
      for (int i = 0; i < 460; i++) {
        store.createCustomer("Customer " + i, "test");
      }
      store.webhooks().claim("fan-out", 0, LEASE);
      assertThat(store.webhooks().countsByState()).containsEntry("pending", 460L * 11);
    }
  }
}
