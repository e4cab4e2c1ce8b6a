package io.turnstile.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.turnstile.config.StoreConfig;
import io.turnstile.store.testing.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The license store's behaviour, the same on every database: {@link LicenseStoreTest} runs it on
 * SQLite, {@link LicenseStorePostgresIT} on a real PostgreSQL.
 */
abstract class LicenseStoreContract {
  @TempDir Path dir;
  final MutableClock clock = new MutableClock(StoreFixture.T0);
  LicenseStore store;
  private CustomerId acme;

  /** The store configuration of this test: a fresh, empty database. */
  abstract StoreConfig config() throws Exception;

  /** Every value stored, as text, to search for what must not be there. */
  abstract String databaseText() throws Exception;

  /** A new connection to the test's database, for looking at it directly. */
  abstract Connection rawConnection() throws Exception;

  private StoreConfig config;

  LicenseStore open() throws Exception {
    return StoreFactory.open(config, StoreFixture.CATALOG, clock);
  }

  @BeforeEach
  void openStore() throws Exception {
    config = config();
    store = open();
    acme = store.createCustomer("Acme", "test").id();
  }

  @AfterEach
  void close() {
    store.close();
  }

  private IssuedKey license(String... versions) {
    return store.createLicense(new NewLicense("prod", acme, "app", null, List.of(versions), null), "test");
  }

  private Access access(AuthResult r) {
    assertThat(r).isInstanceOf(Access.class);
    return (Access) r;
  }

  @Test
  void stats_sayWhenTheSnapshotWasMadeAndHowLongItTook() {
    StoreStats before = store.stats();
    assertThat(before.snapshotAt()).isEqualTo(clock.instant());
    assertThat(before.lastReload()).isPositive();
    clock.advance(Duration.ofMinutes(5));
    assertThat(store.stats().snapshotAt()).as("nothing changed").isEqualTo(before.snapshotAt());
    license("1.0.0");
    StoreStats after = store.stats();
    assertThat(after.snapshotAt()).isEqualTo(clock.instant());
    assertThat(after.cursor()).isGreaterThan(before.cursor());
  }

  @Test
  void onSnapshot_isCalledAfterEachWrite_withTheNewSnapshotInPlace_untilClosed() {
    IssuedKey key = license("1.0.0");
    LicenseId id = new LicenseId(key.username());
    List<List<String>> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    LicenseStore.Subscription sub = store.onSnapshot(() -> seen.add(store.snapshot().license(id).versions()));
    store.grantVersions(id, List.of("2.0.0"), "test");
    assertThat(seen).containsExactly(List.of("1.0.0", "2.0.0"));
    sub.close();
    store.revokeVersion(id, "2.0.0", "test");
    assertThat(seen).hasSize(1);
  }

  @Test
  void onSnapshot_aListenerThatThrows_doesNotFailTheWrite() {
    store.onSnapshot(() -> {
      throw new IllegalStateException("listener bug");
    });
    assertThat(store.createCustomer("Globex", "test").name()).isEqualTo("Globex");
  }

  @Test
  void snapshotLicensesOf_listsOneCustomersLicensesOldestFirst_revokedToo() {
    IssuedKey first = license("1.0.0");
    clock.advance(Duration.ofSeconds(1));
    IssuedKey second = license("2.0.0");
    store.revokeLicense(new LicenseId(first.username()), "test");
    assertThat(store.snapshot().licensesOf(acme)).extracting(l -> l.id().value())
        .containsExactly(first.username(), second.username());
    assertThat(store.snapshot().licensesOf(new CustomerId("cus_unknown"))).isEmpty();
  }

  @Test
  void newLicense_authorizesItsVersionsThroughEveryTemplate() {
    IssuedKey key = license("1.0.0", "1.1.0");
    assertThat(key.key()).startsWith("tsk_").hasSizeGreaterThanOrEqualTo(4 + 43);
    Access a = access(store.authorize(key.username(), key.key()));
    assertThat(a.allowsTag("vendor/app", "1.0.0")).isTrue();
    assertThat(a.allowsTag("vendor/app", "v1.1.0")).isTrue();
    assertThat(a.allowsTag("charts/app", "1.1.0")).isTrue();
    assertThat(a.allowsTag("vendor/app", "2.0.0")).isFalse();
    assertThat(a.allowsTag("vendor/tool", "1.0.0")).isFalse();
    assertThat(a.allowsRepository("vendor/tool")).isFalse();
    assertThat(a.repositories()).containsExactlyInAnyOrder("vendor/app", "charts/app");
    assertThat(a.grantedTags("vendor/app")).containsExactly("1.0.0", "v1.0.0", "1.1.0", "v1.1.0");
  }

  @Test
  void wrongKeyOrWrongUser_isBadCredentials() {
    IssuedKey key = license("1.0.0");
    assertThat(store.authorize(key.username(), key.key() + "x"))
        .isEqualTo(Refusal.BAD_CREDENTIALS);
    assertThat(store.authorize("lic_other", key.key()))
        .isEqualTo(Refusal.BAD_CREDENTIALS);
    assertThat(store.authorize(null, null)).isEqualTo(Refusal.BAD_CREDENTIALS);
  }

  @Test
  void onlyTheKeyHashIsStored() throws Exception {
    IssuedKey key = license("1.0.0");
    store.close();
    assertThat(databaseText()).doesNotContain(key.key()).contains(Keys.hash(key.key()));
    store = open();
  }

  @Test
  void grantAndRevokeVersion_takeEffectInTheNextSnapshot() {
    IssuedKey key = license("1.0.0");
    Access before = access(store.authorize(key.username(), key.key()));
    store.grantVersions(new LicenseId(key.username()), List.of("2.0.0"), "test");
    assertThat(before.allowsTag("vendor/app", "2.0.0")).as("an earlier decision is immutable").isFalse();
    assertThat(access(store.authorize(key.username(), key.key()))
        .allowsTag("vendor/app", "2.0.0")).isTrue();
    store.revokeVersion(new LicenseId(key.username()), "1.0.0", "test");
    assertThat(access(store.authorize(key.username(), key.key()))
        .allowsTag("vendor/app", "1.0.0")).isFalse();
  }

  @Test
  void revokingAVersionNotGranted_isNoSuchVersion() {
    IssuedKey key = license("1.0.0");
    assertThatThrownBy(() -> store.revokeVersion(new LicenseId(key.username()), "9.9.9", "test"))
        .isInstanceOf(NoSuchVersionException.class);
  }

  @Test
  void expiry_isCheckedAtDecisionTime() {
    IssuedKey key = store.createLicense(
        new NewLicense("trial", acme, "app", StoreFixture.T0.plus(Duration.ofDays(30)), List.of("1.0.0"), null), "test");
    assertThat(store.authorize(key.username(), key.key())).isInstanceOf(Access.class);
    clock.advance(Duration.ofDays(30));
    assertThat(store.authorize(key.username(), key.key())).isEqualTo(Refusal.EXPIRED);
  }

  @Test
  void authorizeCredential_decidesByTheStoresClock() {
    IssuedKey key = store.createLicense(
        new NewLicense("trial", acme, "app", StoreFixture.T0.plus(Duration.ofDays(1)), List.of("1.0.0"), null), "test");
    String credential = access(store.authorize(key.username(), key.key())).principal().credentialId();
    assertThat(access(store.authorizeCredential(credential)).allowsTag("vendor/app", "1.0.0")).isTrue();
    clock.advance(Duration.ofDays(1));
    assertThat(store.authorizeCredential(credential)).isEqualTo(Refusal.EXPIRED);
    assertThat(store.authorizeCredential("lk_unknown")).isEqualTo(Refusal.BAD_CREDENTIALS);
    assertThat(store.authorizeCredential(null)).isEqualTo(Refusal.BAD_CREDENTIALS);
  }

  @Test
  void expiryCanBeMovedIntoThePastAndCleared() {
    IssuedKey key = license("1.0.0");
    LicenseId id = new LicenseId(key.username());
    store.update(id, LicensePatch.none().withExpiresAt(Change.set(StoreFixture.T0.minusSeconds(1))), "test");
    assertThat(store.authorize(key.username(), key.key())).isEqualTo(Refusal.EXPIRED);
    store.update(id, LicensePatch.none().withExpiresAt(Change.clear()), "test");
    assertThat(store.authorize(key.username(), key.key())).isInstanceOf(Access.class);
  }

  @Test
  void update_keepsSetsOrClearsEachFieldOnItsOwn() {
    Instant expiry = StoreFixture.T0.plus(Duration.ofDays(30));
    UpstreamCredentials creds = new UpstreamCredentials("bot", "pw");
    LicenseId id = new LicenseId(store.createLicense(
        new NewLicense("prod", acme, "app", expiry, List.of("1.0.0"), creds), "test").username());
    License created = store.license(id);
    clock.advance(Duration.ofMinutes(1));

    assertThat(store.update(id, LicensePatch.none(), "test")).as("keep everything").isEqualTo(created);

    License renamed = store.update(id, LicensePatch.none().withName(Change.set("renamed")), "test");
    assertThat(renamed.name()).isEqualTo("renamed");
    assertThat(renamed.expiresAt()).isEqualTo(expiry);
    assertThat(renamed.upstreamCredentials()).isEqualTo(creds);

    License noCreds = store.update(id, LicensePatch.none().withUpstreamCredentials(Change.clear()), "test");
    assertThat(noCreds.upstreamCredentials()).isNull();
    assertThat(noCreds.expiresAt()).isEqualTo(expiry);

    License later = store.update(id, LicensePatch.none().withExpiresAt(Change.set(expiry.plusSeconds(60))), "test");
    assertThat(later.expiresAt()).isEqualTo(expiry.plusSeconds(60));
    assertThat(later.name()).isEqualTo("renamed");
    assertThat(store.update(id, LicensePatch.none().withExpiresAt(Change.clear()), "test").expiresAt()).isNull();

    assertThat(store.history(id)).extracting(LicenseEvent::action).containsExactly("license.created",
        "license.renamed", "license.upstream_credentials_changed", "license.expiry_changed", "license.expiry_changed");
    assertThatThrownBy(() -> store.update(id, LicensePatch.none().withName(Change.clear()), "test"))
        .isInstanceOf(InvalidInputException.class).hasMessage("name: cannot be cleared");
  }

  @Test
  void revokedLicense_isRefusedAndFrozen() {
    IssuedKey key = license("1.0.0");
    LicenseId id = new LicenseId(key.username());
    store.revokeLicense(id, "test");
    assertThat(store.authorize(key.username(), key.key())).isEqualTo(Refusal.REVOKED);
    assertThat(store.license(id).state(clock.instant())).isEqualTo(LicenseState.REVOKED);
    assertThatThrownBy(() -> store.grantVersions(id, List.of("2.0.0"), "test")).isInstanceOf(ConflictException.class);
  }

  @Test
  void licenseWrites_answerTheLicenseOfTheFreshSnapshot() {
    LicenseId id = new LicenseId(license("1.0.0").username());
    License granted = store.grantVersions(id, List.of("2.0.0"), "test");
    assertThat(granted).isSameAs(store.snapshot().license(id));
    assertThat(granted.versions()).containsExactly("1.0.0", "2.0.0");
    assertThat(granted).isEqualTo(store.license(id));
    License revoked = store.revokeLicense(id, "test");
    assertThat(revoked).isSameAs(store.snapshot().license(id));
    assertThat(revoked.revokedAt()).isEqualTo(StoreFixture.T0);
  }

  @Test
  void revokingALicenseAgain_answersItUnchanged_evenWhenItsCustomerIsGone() {
    LicenseId id = new LicenseId(license("1.0.0").username());
    License revoked = store.revokeLicense(id, "test");
    clock.advance(Duration.ofMinutes(1));
    assertThat(store.revokeLicense(id, "again")).isEqualTo(revoked);
    store.deleteCustomer(acme, "test");
    assertThat(store.snapshot().license(id)).as("a deleted customer's licenses leave the snapshot").isNull();
    assertThat(store.revokeLicense(id, "again")).isEqualTo(revoked);
    assertThat(store.history(id)).extracting(LicenseEvent::actor).containsExactly("test", "test");
    assertThatThrownBy(() -> store.revokeLicense(new LicenseId("lic_nope"), "test"))
        .isInstanceOf(NoSuchLicenseException.class);
  }

  @Test
  void rotatedKey_replacesTheOldOneAndItsCredentialId() {
    IssuedKey key = license("1.0.0");
    String oldCredential = access(store.authorize(key.username(), key.key()))
        .principal().credentialId();
    IssuedKey fresh = store.rotateKey(new LicenseId(key.username()), "test");
    assertThat(store.authorize(key.username(), key.key())).isEqualTo(Refusal.BAD_CREDENTIALS);
    assertThat(store.authorize(key.username(), fresh.key())).isInstanceOf(Access.class);
    assertThat(store.authorizeCredential(oldCredential)).isEqualTo(Refusal.BAD_CREDENTIALS);
  }

  @Test
  void customerKey_grantsTheUnionOfValidLicenses() {
    store.createLicense(new NewLicense("a", acme, "app", null, List.of("1.0.0"), null), "test");
    store.createLicense(new NewLicense("b", acme, "tool", StoreFixture.T0.plus(Duration.ofDays(1)), List.of("3.0"), null), "test");
    IssuedKey ck = store.createCustomerKey(acme, "test");
    assertThat(ck.username()).isEqualTo(acme.value());
    Access a = access(store.authorize(ck.username(), ck.key()));
    assertThat(a.allowsTag("vendor/app", "1.0.0")).isTrue();
    assertThat(a.allowsTag("vendor/tool", "3.0")).isTrue();
    clock.advance(Duration.ofDays(2));
    Access later = access(store.authorize(ck.username(), ck.key()));
    assertThat(later.allowsTag("vendor/app", "1.0.0")).isTrue();
    assertThat(later.allowsTag("vendor/tool", "3.0")).isFalse();
    store.revokeCustomerKey(acme, ck.keyId(), "test");
    assertThat(store.authorize(ck.username(), ck.key())).isEqualTo(Refusal.BAD_CREDENTIALS);
  }

  @Test
  void movingALicense_takesItsKeyGrantsAndPullTokensAlong_andTheOldCustomerKeyLetsGo() {
    IssuedKey key = license("1.0.0");
    LicenseId id = new LicenseId(key.username());
    IssuedKey acmeKey = store.createCustomerKey(acme, "test");
    CustomerId initech = store.createCustomer("Initech", "test").id();
    IssuedKey initechKey = store.createCustomerKey(initech, "test");
    IssuedPullToken token = store.pullTokens().create(id, "ci", null, "portal");

    License moved = store.moveLicense(id, initech, "alice");

    assertThat(moved.customerId()).isEqualTo(initech);
    assertThat(access(store.authorize(key.username(), key.key())).allowsTag("vendor/app", "1.0.0")).isTrue();
    assertThat(access(store.authorize(initechKey.username(), initechKey.key())).allowsTag("vendor/app", "1.0.0")).isTrue();
    assertThat(access(store.authorize(acmeKey.username(), acmeKey.key())).allowsTag("vendor/app", "1.0.0"))
        .as("the old customer's key no longer covers the license").isFalse();
    assertThat(access(store.authorize(key.username(), token.secret())).allowsTag("vendor/app", "1.0.0")).isTrue();
    assertThat(store.snapshot().licensesOf(acme)).isEmpty();
    assertThat(store.snapshot().licensesOf(initech)).extracting(License::id).containsExactly(id);
    LicenseEvent last = store.history(id).get(store.history(id).size() - 1);
    assertThat(last.action()).isEqualTo("license.moved");
    assertThat(last.actor()).isEqualTo("alice");
    assertThat(last.detail()).isEqualTo(acme + " -> " + initech);
  }

  @Test
  void movingALicense_refusesAMissingCustomer_aRevokedLicense_andChangesNothingToTheSameCustomer() {
    IssuedKey key = license("1.0.0");
    LicenseId id = new LicenseId(key.username());
    int events = store.history(id).size();
    assertThat(store.moveLicense(id, acme, "test").customerId()).isEqualTo(acme);
    assertThat(store.history(id)).as("a move to where it is records nothing").hasSize(events);
    assertThatThrownBy(() -> store.moveLicense(id, new CustomerId("cus_nobody"), "test"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("no customer cus_nobody");
    CustomerId gone = store.createCustomer("Gone", "test").id();
    store.deleteCustomer(gone, "test");
    assertThatThrownBy(() -> store.moveLicense(id, gone, "test")).isInstanceOf(InvalidInputException.class);
    store.revokeLicense(id, "test");
    CustomerId other = store.createCustomer("Other", "test").id();
    assertThatThrownBy(() -> store.moveLicense(id, other, "test")).isInstanceOf(ConflictException.class);
    assertThat(store.license(id).customerId()).isEqualTo(acme);
  }

  @Test
  void renamingACustomer_isRecordedAndRefusesABadName() {
    Customer renamed = store.renameCustomer(acme, "Acme Corporation", "alice");
    assertThat(renamed.name()).isEqualTo("Acme Corporation");
    assertThat(store.customer(acme).name()).isEqualTo("Acme Corporation");
    assertThat(store.activity().find(new ActivityQuery(null, acme, null, null, null, 10, null)).records())
        .anySatisfy(r -> {
          assertThat(r.action()).isEqualTo("customer.renamed");
          assertThat(r.detail()).isEqualTo("Acme -> Acme Corporation");
        });
    assertThatThrownBy(() -> store.renameCustomer(acme, " ", "alice")).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("name");
    assertThatThrownBy(() -> store.renameCustomer(new CustomerId("cus_nobody"), "X", "alice"))
        .isInstanceOf(NoSuchCustomerException.class);
  }

  @Test
  void deletingACustomer_revokesItsLicensesAndKeys() {
    IssuedKey key = license("1.0.0");
    IssuedKey ck = store.createCustomerKey(acme, "test");
    store.deleteCustomer(acme, "test");
    assertThat(store.authorize(key.username(), key.key())).isEqualTo(Refusal.BAD_CREDENTIALS);
    assertThat(store.authorize(ck.username(), ck.key())).isEqualTo(Refusal.BAD_CREDENTIALS);
    assertThat(store.license(new LicenseId(key.username())).revokedAt()).isNotNull();
    assertThatThrownBy(() -> store.customer(acme)).isInstanceOf(NoSuchCustomerException.class);
  }

  @Test
  void history_recordsWhoDidWhatAndWhen() {
    IssuedKey key = license("1.0.0");
    LicenseId id = new LicenseId(key.username());
    clock.advance(Duration.ofMinutes(1));
    store.grantVersions(id, List.of("2.0.0"), "alice");
    store.revokeVersion(id, "1.0.0", "bob");
    store.rotateKey(id, "carol");
    store.revokeLicense(id, "dave");
    List<LicenseEvent> h = store.history(id);
    assertThat(h).extracting(LicenseEvent::action).containsExactly(
        "license.created", "license.versions_granted", "license.version_revoked", "license.key_rotated", "license.revoked");
    assertThat(h).extracting(LicenseEvent::actor).containsExactly("test", "alice", "bob", "carol", "dave");
    assertThat(h.get(1).at()).isEqualTo(StoreFixture.T0.plus(Duration.ofMinutes(1)));
    assertThat(h.get(1).detail()).contains("2.0.0");
  }

  @Test
  void upstreamCredentials_areEncryptedAtRestAndDecryptedInTheSnapshot() throws Exception {
    String password = "upstream-pa55word-" + System.nanoTime();
    IssuedKey key = store.createLicense(new NewLicense("own", acme, "app", null, List.of("1.0.0"),
        new UpstreamCredentials("customer-bot", password)), "test");
    License l = store.snapshot().license(new LicenseId(key.username()));
    assertThat(l.upstreamCredentials()).isEqualTo(new UpstreamCredentials("customer-bot", password));
    assertThat(l.toString()).doesNotContain(password);
    assertThat(store.history(new LicenseId(key.username())).toString()).doesNotContain(password);
    store.close();
    String raw = databaseText();
    assertThat(raw).contains("customer-bot").doesNotContain(password);
    store = open();
    assertThat(store.license(new LicenseId(key.username())).upstreamCredentials().password()).isEqualTo(password);
    assertThat(Files.getPosixFilePermissions(dir.resolve("store.key")))
        .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
  }

  @Test
  void badInput_namesTheField() {
    assertThatThrownBy(() -> store.createLicense(new NewLicense("x", acme, "nope", null, List.of(), null), "t"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("application: unknown application 'nope'");
    assertThatThrownBy(() -> store.createLicense(new NewLicense("x", acme, "app", null, List.of("1.0", "bad version"), null), "t"))
        .isInstanceOf(InvalidInputException.class).hasMessageStartingWith("versions[1]:");
    assertThatThrownBy(() -> store.createLicense(new NewLicense("x", new CustomerId("cus_nope"), "app", null, List.of(), null), "t"))
        .isInstanceOf(InvalidInputException.class).hasMessageStartingWith("customerId:");
    assertThatThrownBy(() -> store.createCustomer(" ", "t"))
        .isInstanceOf(InvalidInputException.class).hasMessageStartingWith("name:");
    assertThat(store.licenses(null)).isEmpty();
  }

  @Test
  void namesWithBidiOverridesOrInvisibleCharacters_areRefusedAndNothingIsWritten() {
    IssuedKey key = license("1.0.0");
    LicenseId id = new LicenseId(key.username());
    for (String bad : List.of("Acme\u202Egnp.exe", "Ac\u200Bme", "\u2066Acme\u2069", "Acme\u2067x\u2068",
        "\uFEFFAcme", "Acme\u0007", "Acme\u009B")) {
      String shown = bad.codePoints().mapToObj(c -> String.format("U+%04X", c)).toList().toString();
      assertThatThrownBy(() -> store.createCustomer(bad, "t")).as(shown)
          .isInstanceOf(InvalidInputException.class).hasMessageStartingWith("name:");
      assertThatThrownBy(() -> store.createLicense(new NewLicense(bad, acme, "app", null, List.of(), null), "t")).as(shown)
          .isInstanceOf(InvalidInputException.class).hasMessageStartingWith("name:");
      assertThatThrownBy(() -> store.update(id, LicensePatch.none().withName(Change.set(bad)), "t")).as(shown)
          .isInstanceOf(InvalidInputException.class).hasMessageStartingWith("name:");
    }
    assertThat(store.customers()).extracting(Customer::name).containsExactly("Acme");
    assertThat(store.licenses(null)).extracting(License::name).containsExactly("prod");
    assertThat(store.history(id)).hasSize(1);
    assertThat(store.createCustomer("Zoë Bäckerei 株式会社", "t").name()).as("letters of any script").isEqualTo("Zoë Bäckerei 株式会社");
  }

  @Test
  void reopeningAnExistingDatabase_keepsEverything_andMigratesNothingAgain() throws Exception {
    IssuedKey key = license("1.0.0");
    int migrations = migrationsApplied();
    store.close();
    store = open();
    assertThat(store.authorize(key.username(), key.key())).isInstanceOf(Access.class);
    assertThat(migrationsApplied()).isEqualTo(migrations).isPositive();
  }

  private int migrationsApplied() throws Exception {
    try (var c = rawConnection();
        var rs = c.createStatement().executeQuery("select count(*) from flyway_schema_history where success = true")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  // ---- ranges, every version, and what was released before expiry ----

  private IssuedKey rangeLicense(Instant expiresAt, boolean keep, RangeGrant... ranges) {
    return store.createLicense(new NewLicense("line", acme, "app", expiresAt, List.of(), List.of(ranges), keep, null),
        "test");
  }

  @Test
  void rangeLicense_grantsTheTagsWhoseVersionIsInside() {
    IssuedKey key = rangeLicense(null, false, RangeGrant.of("2.x"));
    Access a = access(store.authorize(key.username(), key.key()));
    assertThat(a.allowsTag("vendor/app", "2.0.0")).isTrue();
    assertThat(a.allowsTag("vendor/app", "v2.4.1")).as("through the v{version} template").isTrue();
    assertThat(a.allowsTag("charts/app", "2.9.17")).isTrue();
    assertThat(a.allowsTag("vendor/app", "3.0.0")).isFalse();
    assertThat(a.allowsTag("vendor/app", "1.9.9")).isFalse();
    assertThat(a.allowsTag("vendor/app", "2.5.0-rc.1")).as("pre-releases only when asked for").isFalse();
    assertThat(a.allowsTag("vendor/app", "latest")).as("not a version").isFalse();
    assertThat(a.allowsTag("vendor/app", "2.4")).as("not a semantic version").isFalse();
    assertThat(a.grant("vendor/app").grantsByRange()).isTrue();
    License l = a.licenses().get(0);
    assertThat(a.grant("vendor/app").grantedVersion(l, "v2.4.1")).as("the version the tag stands for").isEqualTo("2.4.1");
    assertThat(a.grant("vendor/app").grantedVersion(l, "3.0.0")).isNull();
    assertThat(a.grant("vendor/app").grantedTags(List.of("2.0.0", "3.0.0", "v2.1.0", "latest")).keySet())
        .containsExactly("2.0.0", "v2.1.0");
  }

  @Test
  void includePrerelease_grantsPreReleasesInsideTheRange() {
    IssuedKey key = rangeLicense(null, false, new RangeGrant("2.x", true));
    Access a = access(store.authorize(key.username(), key.key()));
    assertThat(a.allowsTag("vendor/app", "2.5.0-rc.1")).isTrue();
    assertThat(a.allowsTag("vendor/app", "3.0.0-rc.1")).isFalse();
  }

  @Test
  void helmBuildMetadata_isReadBackForRanges() {
    IssuedKey key = rangeLicense(null, false, RangeGrant.of("~1.4.0"));
    Access a = access(store.authorize(key.username(), key.key()));
    assertThat(a.allowsTag("charts/app", "1.4.2_build.7")).isTrue();
    assertThat(a.allowsTag("charts/app", "1.5.0_build.7")).isFalse();
  }

  @Test
  void everyVersion_grantsEveryTagATemplateProduces() {
    IssuedKey key = rangeLicense(null, false, RangeGrant.of("*"));
    License l = store.license(new LicenseId(key.username()));
    assertThat(l.ranges()).singleElement().satisfies(r -> assertThat(r.kind()).isEqualTo(GrantKind.ALL));
    Access a = access(store.authorize(key.username(), key.key()));
    assertThat(a.allowsTag("vendor/app", "2.5.0-rc.1")).isTrue();
    assertThat(a.allowsTag("vendor/app", "3.20")).isTrue();
    assertThat(a.allowsTag("vendor/tool", "1.0.0")).as("another application").isFalse();
  }

  @Test
  void invalidRange_isRejectedNamingIt() {
    assertThatThrownBy(() -> rangeLicense(null, false, RangeGrant.of("2.x"), RangeGrant.of("blah")))
        .isInstanceOf(InvalidInputException.class)
        .satisfies(e -> assertThat(((InvalidInputException) e).field()).isEqualTo("ranges[1]"))
        .hasMessageContaining("'blah' is not a version range");
    assertThat(store.licenses(acme)).as("nothing written").isEmpty();
  }

  @Test
  void grantAndRevokeRange_takeEffectInTheNextSnapshotAndAreRecorded() {
    IssuedKey key = license("2.4.0");
    LicenseId id = new LicenseId(key.username());
    assertThat(access(store.authorize(key.username(), key.key())).allowsTag("vendor/app", "2.4.1")).isFalse();
    License l = store.grantRanges(id, List.of(RangeGrant.of(" >= 2.4.0   <2.5.0 ")), "alice");
    assertThat(l.ranges()).extracting(VersionRange::expression).containsExactly(">=2.4.0 <2.5.0");
    assertThat(access(store.authorize(key.username(), key.key())).allowsTag("vendor/app", "2.4.1")).isTrue();
    store.grantRanges(id, List.of(new RangeGrant(">=2.4.0 <2.5.0", true)), "alice");
    assertThat(access(store.authorize(key.username(), key.key())).allowsTag("vendor/app", "2.4.9-rc.1")).isTrue();
    store.revokeRange(id, ">=2.4.0  <2.5.0", "bob");
    assertThat(access(store.authorize(key.username(), key.key())).allowsTag("vendor/app", "2.4.1")).isFalse();
    assertThat(store.license(id).versions()).containsExactly("2.4.0");
    assertThat(store.history(id)).extracting(LicenseEvent::action)
        .containsExactly("license.created", "license.ranges_granted", "license.ranges_granted", "license.range_revoked");
    assertThatThrownBy(() -> store.revokeRange(id, "3.x", "bob")).isInstanceOf(NoSuchRangeException.class);
  }

  @Test
  void rangesAndKeepFlag_surviveAReopen() throws Exception {
    IssuedKey key = rangeLicense(StoreFixture.T0.plus(Duration.ofDays(1)), true, RangeGrant.of("2.x"),
        new RangeGrant("^3.1.0", true));
    store.close();
    store = open();
    License l = store.snapshot().license(new LicenseId(key.username()));
    assertThat(l.keepReleasedBeforeExpiry()).isTrue();
    assertThat(l.ranges()).extracting(VersionRange::expression, VersionRange::includePrerelease)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("2.x", false), org.assertj.core.groups.Tuple.tuple("^3.1.0", true));
    assertThat(store.licenses(acme)).singleElement().isEqualTo(l);
  }

  @Test
  void versionsAndRanges_loadedAtOpen_equalTheStoredLicense() throws Exception {
    IssuedKey key = store.createLicense(new NewLicense("mixed", acme, "app", null,
        List.of("2.0.0", "1.10.0", "1.9.0", "1.0.0+build.1", "1.0.0-rc.1"),
        List.of(new RangeGrant(">=3.0.0 <3.5.0 || ^4.1.0", true), RangeGrant.of("5.x")), false, null), "test");
    store.close();
    store = open();
    License l = store.snapshot().license(new LicenseId(key.username()));
    assertThat(l.versions()).containsExactly("1.0.0+build.1", "1.0.0-rc.1", "1.10.0", "1.9.0", "2.0.0");
    assertThat(l.ranges()).extracting(VersionRange::expression, VersionRange::includePrerelease)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("5.x", false),
            org.assertj.core.groups.Tuple.tuple(">=3.0.0 <3.5.0 || ^4.1.0", true));
    assertThat(store.licenses(acme)).singleElement().isEqualTo(l);
    assertThat(access(store.authorize(key.username(), key.key())).allowsTag("vendor/app", "4.2.0-beta.1")).isTrue();
  }

  @Test
  void keepReleasedBeforeExpiry_grantsOnlyTagsSeenBeforeTheExpiry() {
    Instant expiry = StoreFixture.T0.plus(Duration.ofDays(30));
    IssuedKey key = rangeLicense(expiry, true, RangeGrant.of("2.x"));
    IssuedKey plain = rangeLicense(expiry, false, RangeGrant.of("2.x"));
    clock.advance(Duration.ofDays(1));
    assertThat(store.recordTagsSeen("vendor/app", List.of("2.4.0", "v2.4.0"))).isEqualTo(2);
    clock.advance(Duration.ofDays(29));
    assertThat(store.recordTagsSeen("vendor/app", List.of("2.4.0", "2.5.0"))).as("2.4.0 is dated already").isEqualTo(1);
    assertThat(store.snapshot().tagsSeen().firstSeen("vendor/app", "2.4.0")).isEqualTo(StoreFixture.T0.plus(Duration.ofDays(1)));
    clock.advance(Duration.ofDays(1));

    Access a = access(store.authorize(key.username(), key.key()));
    assertThat(a.isKept(new LicenseId(key.username()))).isTrue();
    assertThat(a.allowsTag("vendor/app", "2.4.0")).isTrue();
    assertThat(a.allowsTag("vendor/app", "v2.4.0")).isTrue();
    assertThat(a.allowsTag("vendor/app", "2.5.0")).as("first seen at the expiry, not before").isFalse();
    assertThat(a.allowsTag("vendor/app", "2.6.0")).as("never seen").isFalse();
    assertThat(a.allowsTag("charts/app", "2.4.0")).as("seen in another repository only").isFalse();
    assertThat(store.authorize(plain.username(), plain.key())).isEqualTo(Refusal.EXPIRED);

    store.update(new LicenseId(key.username()),
        LicensePatch.none().withKeepReleasedBeforeExpiry(Change.set(false)), "test");
    assertThat(store.authorize(key.username(), key.key())).isEqualTo(Refusal.EXPIRED);
  }

  @Test
  void customerKey_keepsExpiredLicensesThatKeepWhatWasReleased() {
    Instant expiry = StoreFixture.T0.plus(Duration.ofDays(1));
    store.createLicense(new NewLicense("kept", acme, "app", expiry, List.of("1.0.0", "1.1.0"), List.of(), true, null),
        "test");
    store.createLicense(new NewLicense("gone", acme, "tool", expiry, List.of("3.0"), null), "test");
    IssuedKey ck = store.createCustomerKey(acme, "test");
    store.recordTagsSeen("vendor/app", List.of("1.0.0"));
    clock.advance(Duration.ofDays(2));
    store.recordTagsSeen("vendor/app", List.of("1.1.0"));
    Access a = access(store.authorize(ck.username(), ck.key()));
    assertThat(a.allowsTag("vendor/app", "1.0.0")).isTrue();
    assertThat(a.allowsTag("vendor/app", "1.1.0")).isFalse();
    assertThat(a.allowsTag("vendor/tool", "3.0")).isFalse();
    assertThat(a.grantedTags("vendor/app")).containsExactly("1.0.0");
  }

  @Test
  void tagSightings_areReloadedFromTheStore() throws Exception {
    store.recordTagsSeen("vendor/app", List.of("2.4.0"));
    store.close();
    clock.advance(Duration.ofDays(1));
    store = open();
    assertThat(store.snapshot().tagsSeen().firstSeen("vendor/app", "2.4.0")).isEqualTo(StoreFixture.T0);
    assertThat(store.recordTagsSeen("vendor/app", List.of("2.4.0"))).isZero();
  }
}
