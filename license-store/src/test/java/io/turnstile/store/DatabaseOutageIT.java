package io.turnstile.store;

import static io.turnstile.store.testing.Eventually.until;
import static io.turnstile.store.testing.Eventually.within;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.turnstile.config.StoreConfig;
import io.turnstile.store.testing.PostgresServer;
import io.turnstile.store.testing.TcpRelay;
import io.turnstile.store.testing.TestPostgres;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replicas on one PostgreSQL database that goes away: the database stopped, a replica's connections
 * cut (through a {@link TcpRelay}), or a commit whose acknowledgement never comes back. Writes say
 * honestly what became of them and fail fast; when the database returns, every replica catches up at
 * once.
 */
class DatabaseOutageIT {
  private static final Duration TWO_SECONDS = Duration.ofSeconds(2);
  private static final Duration ONE_SECOND = Duration.ofSeconds(1);
  @RegisterExtension static final PostgresServer postgres = new PostgresServer();
  @TempDir Path dir;
  private String url;
  private TcpRelay relay;
  private final List<LicenseStore> stores = new ArrayList<>();

  @BeforeEach
  void database() throws Exception {
    url = postgres.newDatabase();
    relay = new TcpRelay(postgres.port());
  }

  @AfterEach
  void close() throws Exception {
    stores.forEach(LicenseStore::close);
    relay.close();
  }

  private LicenseStore open(String jdbcUrl) throws Exception {
    LicenseStore store = StoreFactory.open(new StoreConfig(jdbcUrl, TestPostgres.USER, null, null,
        dir.resolve("store.key"), 2, Duration.ofSeconds(2)), StoreFixture.CATALOG, Clock.systemUTC());
    stores.add(store);
    return store;
  }

  private static IssuedKey license(LicenseStore on) {
    CustomerId c = on.createCustomer("Acme", "t").id();
    return on.createLicense(new NewLicense("prod", c, "app", null, List.of("1.0.0", "2.0.0"), null), "t");
  }

  private static boolean grants(LicenseStore on, IssuedKey key, String tag) {
    return on.authorize(key.username(), key.key()) instanceof Access access && access.allowsTag("vendor/app", tag);
  }

  @Test
  void aCommitWhoseAcknowledgementIsLost_isReportedAsOutcomeUnknown_notAsNothingWritten() throws Exception {
    LicenseStore a = open(relay.relayed(url));
    LicenseStore b = open(url);
    IssuedKey key = license(a);
    until("b grants the new license", () -> grants(b, key, "2.0.0"));

    relay.cutAfterNextCommit();
    assertThatThrownBy(() -> a.idempotencyKeys().claiming("t", "revoke-2", "fp",
            () -> a.revokeVersion(new LicenseId(key.username()), "2.0.0", "t")))
        .isInstanceOf(StoreOutcomeUnknownException.class)
        .isNotInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("read it back");
    assertThat(relay.commitWasCut()).as("the relay cut the connection after its COMMIT").isTrue();

    until("b enforces the edit whose acknowledgement was lost", () -> !grants(b, key, "2.0.0"));
    until("a catches up with its own edit", () -> !grants(a, key, "2.0.0"));
    // The idempotency key committed with the change: a retry with it learns that it was applied.
    assertThat(b.idempotencyKeys().find("t", "revoke-2")).hasValueSatisfying(r -> assertThat(r.fingerprint()).isEqualTo("fp"));
    assertThat(a.history(new LicenseId(key.username()))).as("applied once")
        .filteredOn(e -> e.action().equals("license.version_revoked")).hasSize(1);
  }

  @Test
  void whileTheDatabaseIsDown_everyWriteFailsWithinTwoSeconds_sayingNothingWasWritten() throws Exception {
    LicenseStore a = open(url);
    IssuedKey key = license(a);
    LicenseId id = new LicenseId(key.username());
    postgres.stop();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      for (int round = 0; round < 3; round++) {
        List<Future<Duration>> writes = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
          String version = "3." + round + "." + i;
          writes.add(pool.submit(() -> {
            long start = System.nanoTime();
            assertThatThrownBy(() -> a.grantVersions(id, List.of(version), "t"))
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("license store's database")
                .hasMessageContaining("nothing was written");
            return Duration.ofNanos(System.nanoTime() - start);
          }));
        }
        for (Future<Duration> w : writes) {
          assertThat(w.get()).as("a write's failure during the outage").isLessThan(TWO_SECONDS);
        }
      }
      assertThat(grants(a, key, "2.0.0")).as("pulls go on from the snapshot").isTrue();
    } finally {
      pool.shutdownNow();
      postgres.start();
    }
    until("writes succeed again", () -> {
      try {
        a.grantVersions(id, List.of("4.0.0"), "t");
        return true;
      } catch (StoreUnavailableException notYet) {
        return false;
      }
    });
  }

  @Test
  void afterTheDatabaseReturns_aReplicaThatMissedAnEdit_enforcesItWithinOneSecond() throws Exception {
    LicenseStore a = open(url);
    LicenseStore b = open(relay.relayed(url));
    IssuedKey key = license(a);
    until("b grants the new license", () -> grants(b, key, "2.0.0"));

    relay.cut();
    until("b finds the database unreachable", () -> !b.stats().reachable());
    a.revokeVersion(new LicenseId(key.username()), "2.0.0", "t");
    postgres.stop();
    relay.restore();
    // An outage of several seconds, as a restart takes: long enough for any backoff to grow.
    Thread.sleep(5000);
    assertThat(grants(b, key, "2.0.0")).as("b serves its last snapshot meanwhile").isTrue();
    postgres.start();
    Instant back = Instant.now();
    within(ONE_SECOND, back, "b enforces the edit made before the stop", () -> !grants(b, key, "2.0.0"));
    until("b finds the database reachable", () -> b.stats().reachable());
  }
}
