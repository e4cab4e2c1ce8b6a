package io.turnstile.store;

import static io.turnstile.store.testing.Eventually.committedAt;
import static io.turnstile.store.testing.Eventually.until;
import static io.turnstile.store.testing.Eventually.within;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.turnstile.config.StoreConfig;
import io.turnstile.store.testing.PostgresServer;
import io.turnstile.store.testing.TestPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Two stores on one PostgreSQL database, as two replicas are: a write through one reaches the other. */
class ReplicaPropagationIT {
  @RegisterExtension static final PostgresServer postgres = new PostgresServer();
  @TempDir Path dir;
  private String url;
  private LicenseStore a;
  private LicenseStore b;

  @BeforeEach
  void open() throws Exception {
    url = postgres.newDatabase();
    a = open(Duration.ofSeconds(2));
    b = open(Duration.ofMillis(500));
  }

  private LicenseStore open(Duration poll) throws Exception {
    return StoreFactory.open(new StoreConfig(url, TestPostgres.USER, null, null, dir.resolve("store.key"), 2, poll),
        StoreFixture.CATALOG, Clock.systemUTC());
  }

  @AfterEach
  void close() {
    a.close();
    b.close();
  }

  /** The promise: an edit through one replica is enforced by the others within a second. */
  private static final Duration ONE_SECOND = Duration.ofSeconds(1);

  private IssuedKey license(LicenseStore on, String... versions) {
    CustomerId c = on.createCustomer("Acme", "t").id();
    return on.createLicense(new NewLicense("prod", c, "app", null, List.of(versions), null), "t");
  }

  private boolean grants(LicenseStore on, IssuedKey key, String tag) {
    return on.authorize(key.username(), key.key()) instanceof Access access && access.allowsTag("vendor/app", tag);
  }

  @Test
  void aWriteThroughOneReplicaIsEnforcedByTheOtherWithinOneSecond() throws Exception {
    IssuedKey key = license(a, "1.0.0", "2.0.0");
    within(ONE_SECOND, committedAt(a), "b grants the new license", () -> grants(b, key, "2.0.0"));
    a.revokeVersion(new LicenseId(key.username()), "2.0.0", "t");
    within(ONE_SECOND, committedAt(a), "b refuses the revoked version", () -> !grants(b, key, "2.0.0"));
    assertThat(grants(b, key, "1.0.0")).isTrue();
    IssuedKey rotated = a.rotateKey(new LicenseId(key.username()), "t");
    within(ONE_SECOND, committedAt(a), "b refuses the rotated key",
        () -> b.authorize(key.username(), key.key()) == Refusal.BAD_CREDENTIALS);
    assertThat(b.authorize(rotated.username(), rotated.key())).isInstanceOf(Access.class);
    until("b's cursor at a's", () -> b.stats().cursor() == a.stats().cursor());
  }

  @Test
  void anEntitlementFieldDefinedThroughOneReplica_isUsedByTheOtherWithinOneSecond() throws Exception {
    a.entitlementDefinitions().define("app", new io.turnstile.config.EntitlementField("nodes",
        io.turnstile.config.EntitlementType.INTEGER, "3", true), "t");
    within(ONE_SECOND, committedAt(a), "b knows the new field",
        () -> b.snapshot().entitlements().field("app", "nodes") != null);
    CustomerId c = b.createCustomer("Acme", "t").id();
    IssuedKey key = b.createLicense(new NewLicense("prod", c, "app", null, List.of("1.0.0"), List.of(), false, null,
        java.util.Map.of("nodes", "9")), "t");
    assertThat(b.snapshot().entitlements().values("app", b.license(new LicenseId(key.username())).entitlements()))
        .containsEntry("nodes", 9L);

    a.entitlementDefinitions().define("app", new io.turnstile.config.EntitlementField("tier",
        io.turnstile.config.EntitlementType.STRING, null, false), "t");
    a.entitlementDefinitions().delete("app", "tier", "t");
    within(ONE_SECOND, committedAt(a), "b forgets the deleted field",
        () -> b.snapshot().entitlements().field("app", "tier") == null
            && b.stats().cursor() == a.stats().cursor());
    assertThat(b.snapshot().entitlements().field("app", "nodes")).isNotNull();
  }

  @Test
  void aWriteThroughOneReplicaIsAnnouncedToTheOthersSnapshotListeners() throws Exception {
    java.util.concurrent.atomic.AtomicInteger heard = new java.util.concurrent.atomic.AtomicInteger();
    try (LicenseStore.Subscription sub = b.onSnapshot(heard::incrementAndGet)) {
      IssuedKey key = license(a, "1.0.0");
      within(ONE_SECOND, committedAt(a), "b's listeners told of the new license",
          () -> heard.get() > 0 && b.snapshot().license(new LicenseId(key.username())) != null);
    }
  }

  @Test
  void anApiTokenRevokedOnOneReplicaIsRefusedByTheOtherWithinOneSecond_andSignInsReloadNoSnapshot() throws Exception {
    IssuedApiToken issued = a.apiTokens().create("deploy", "alice@vendor.example", "editor",
        java.time.Instant.now().plus(Duration.ofDays(1)), "alice@vendor.example");
    within(ONE_SECOND, committedAt(a), "b accepts the new token", () -> b.apiTokens().authenticate(issued.secret()) != null);
    Snapshot before = b.snapshot();
    a.activity().record("alice@vendor.example", "sign_in.succeeded", "test");
    a.apiTokens().revoke(issued.token().id(), "alice@vendor.example");
    within(ONE_SECOND, committedAt(a), "b refuses the revoked token", () -> b.apiTokens().authenticate(issued.secret()) == null);
    assertThat(b.snapshot()).as("token events and sign-ins reload no customer").isSameAs(before);
  }

  @Test
  void aPullTokenRevokedOnOneReplicaIsRefusedByTheOtherWithinOneSecond() throws Exception {
    IssuedKey key = license(a, "1.0.0");
    LicenseId id = new LicenseId(key.username());
    IssuedPullToken token = a.pullTokens().create(id, "ci", null, "t");
    within(ONE_SECOND, committedAt(a), "b accepts the new pull token",
        () -> b.authorize(key.username(), token.secret()) instanceof Access);
    a.pullTokens().revoke(id, token.token().id(), "t");
    within(ONE_SECOND, committedAt(a), "b refuses the revoked pull token",
        () -> b.authorize(key.username(), token.secret()) == Refusal.BAD_CREDENTIALS);
  }

  @Test
  void writesOnBothReplicasAtOnceAreAllSeenByBoth() throws Exception {
    IssuedKey key = license(a, "1.0.0");
    LicenseId id = new LicenseId(key.username());
    Thread onA = new Thread(() -> {
      for (int i = 0; i < 20; i++) {
        a.grantVersions(id, List.of("a." + i), "a");
      }
    });
    Thread onB = new Thread(() -> {
      for (int i = 0; i < 20; i++) {
        b.grantVersions(id, List.of("b." + i), "b");
      }
    });
    onA.start();
    onB.start();
    onA.join();
    onB.join();
    until("each replica grants the other's last version", () -> grants(a, key, "b.19") && grants(b, key, "a.19"));
    for (int i = 0; i < 20; i++) {
      assertThat(grants(a, key, "b." + i) && grants(b, key, "a." + i)).as("version " + i).isTrue();
    }
    // A reload reads rows as they are now, so the grants can show before the cursor has moved on.
    until("b's cursor at a's", () -> b.stats().cursor() == a.stats().cursor());
  }

  @ParameterizedTest
  @EnumSource(KeyPurpose.class)
  void replicasStartingAtOnceGenerateOneSigningKey_andSeeEachOthersRotations(KeyPurpose purpose) throws Exception {
    java.util.concurrent.atomic.AtomicInteger generated = new java.util.concurrent.atomic.AtomicInteger();
    java.util.function.Supplier<NewSigningKey> generate = () -> {
      int n = generated.incrementAndGet();
      return new NewSigningKey("kid-" + n, "pem-" + n);
    };
    StoredKeys onA = a.keys(purpose);
    StoredKeys onB = b.keys(purpose);
    Thread startA = new Thread(() -> onA.ensureSigner(generate, "a"));
    Thread startB = new Thread(() -> onB.ensureSigner(generate, "b"));
    startA.start();
    startB.start();
    startA.join();
    startB.join();
    until("one signing key on each replica", () -> onA.list().size() == 1 && onB.list().size() == 1);
    StoredSigningKey first = onA.list().get(0);
    assertThat(first.state()).isEqualTo(StoredSigningKey.State.ACTIVE);
    assertThat(onB.list().get(0).kid()).isEqualTo(first.kid());

    onA.add(new NewSigningKey("kid-next", "pem-next"), "a");
    onA.activate("kid-next", "a");
    within(ONE_SECOND, committedAt(a), "b signs with the key activated through a", () -> onB.list().stream()
        .anyMatch(k -> k.kid().equals("kid-next") && k.state() == StoredSigningKey.State.ACTIVE));
    assertThat(onB.list()).filteredOn(k -> k.kid().equals(first.kid()))
        .extracting(StoredSigningKey::state).containsExactly(StoredSigningKey.State.VERIFY);
    assertThat(onB.list()).filteredOn(k -> k.kid().equals("kid-next"))
        .extracting(StoredSigningKey::pem).containsExactly("pem-next");
    assertThatThrownBy(() -> onB.retire("kid-next", "b")).isInstanceOf(ConflictException.class);
    onB.retire(first.kid(), "b");
    within(ONE_SECOND, committedAt(b), "a sees the key retired through b", () -> onA.list().stream()
        .anyMatch(k -> k.kid().equals(first.kid()) && k.state() == StoredSigningKey.State.RETIRED));
    KeyPurpose other = purpose == KeyPurpose.TOKEN ? KeyPurpose.LICENSE : KeyPurpose.TOKEN;
    assertThat(a.keys(other).list()).as("the other kind has none of them").isEmpty();
    assertThat(b.keys(other).list()).isEmpty();
  }

  @Test
  void withTheListenerConnectionKilled_thePollStillPropagates() throws Exception {
    IssuedKey key = license(a, "1.0.0", "2.0.0");
    until("b grants the new license", () -> grants(b, key, "2.0.0"));
    // Both replicas' listeners subscribe on their own threads: wait for them, then cut them.
    until("both listeners subscribed", () -> listeners("select count(*)") == 2);
    assertThat(listeners("select count(pg_terminate_backend(pid))")).as("listeners killed").isEqualTo(2);
    a.revokeVersion(new LicenseId(key.username()), "2.0.0", "t");
    // b polls every 500 ms; its listener comes back too, whichever is first.
    within(Duration.ofSeconds(2), committedAt(a), "b refuses the revoked version without its listener",
        () -> !grants(b, key, "2.0.0"));
  }

  /** {@code select} over this database's change feed connections (they LISTEN), e.g. a count. */
  private int listeners(String select) {
    try (Connection c = DriverManager.getConnection(url, TestPostgres.USER, "");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(select + " from pg_stat_activity"
            + " where application_name = 'turnstile-store-feed' and datname = current_database()")) {
      rs.next();
      return rs.getInt(1);
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void whileTheDatabaseIsDown_authorizationGoesOn_writesFailFast_andBothCatchUpAfter() throws Exception {
    IssuedKey key = license(a, "1.0.0", "2.0.0");
    until("b grants the new license", () -> grants(b, key, "2.0.0"));
    postgres.stop();
    try {
      long start = System.nanoTime();
      assertThatThrownBy(() -> a.revokeVersion(new LicenseId(key.username()), "2.0.0", "t"))
          .isInstanceOf(StoreUnavailableException.class).hasMessageContaining("nothing was written");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
      assertThat(grants(a, key, "2.0.0")).as("pulls go on from the snapshot").isTrue();
      assertThat(grants(b, key, "2.0.0")).isTrue();
      until("b finds the database unreachable", () -> !b.stats().reachable());
    } finally {
      postgres.start();
    }
    // The pool makes new connections once the server is back; the first write may come before.
    until("a write through a, once the database is back", () -> {
      try {
        a.revokeVersion(new LicenseId(key.username()), "2.0.0", "t");
        return true;
      } catch (StoreUnavailableException notYet) {
        return false;
      }
    });
    until("b refuses the version revoked after the outage", () -> !grants(b, key, "2.0.0"));
    // The feed marks the database reachable just after the catch-up that made the change visible.
    until("b finds the database reachable", () -> b.stats().reachable());
    assertThat(grants(b, key, "1.0.0")).isTrue();
  }
}
