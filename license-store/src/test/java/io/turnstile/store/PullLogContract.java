package io.turnstile.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.turnstile.config.StoreConfig;
import io.turnstile.store.testing.MutableClock;
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
 * The pull audit log's table, the same on every database: {@link PullLogTest} runs it on SQLite,
 * {@link PullLogPostgresIT} on a real PostgreSQL.
 */
abstract class PullLogContract {
  @TempDir java.nio.file.Path dir;
  LicenseStore store;
  PullLog log;
  PullStats stats;

  private static final LicenseId L1 = new LicenseId("lic_one");
  private static final LicenseId L2 = new LicenseId("lic_two");
  private static final CustomerId ACME = new CustomerId("cus_acme");
  private static final CustomerId GLOBEX = new CustomerId("cus_globex");
  private static final String DIGEST = "sha256:" + "a".repeat(64);

  /** The store configuration of this test: a fresh, empty database. */
  abstract StoreConfig config() throws Exception;

  @BeforeEach
  void openStore() throws Exception {
    store = StoreFactory.open(config(), StoreFixture.CATALOG, new MutableClock(StoreFixture.T0));
    log = store.pulls();
    stats = store.pullStats();
  }

  @AfterEach
  void close() {
    store.close();
  }

  static PullRecord pull(Instant at, LicenseId license, CustomerId customer, String tag, String version) {
    return new PullRecord(at, license, customer, CredentialKind.LICENSE_KEY, "app", "vendor/app", tag, version,
        DIGEST, "192.0.2.7", "docker/27.0 go/go1.22", null);
  }

  private static Instant t(int minutes) {
    return StoreFixture.T0.plus(Duration.ofMinutes(minutes));
  }

  @Test
  void appendedRecords_readBackWithEveryField_newestFirst() {
    PullRecord byTag = pull(t(1), L1, ACME, "1.0.0", "1.0.0");
    PullRecord byDigest = new PullRecord(t(2), null, ACME, CredentialKind.CUSTOMER_KEY, "app", "charts/app", null,
        "1.0.0+build.1", "sha512:" + "b".repeat(128), "2001:db8::1", null, 12_345L);
    log.append(List.of(byTag, byDigest));

    PullPage page = log.find(PullQuery.all(10));
    assertThat(page.pulls()).containsExactly(byDigest, byTag);
    assertThat(page.next()).isNull();
  }

  @Test
  void aRecordWrittenAtOnce_isCompletedLater_byItsId_andACompletionInTheSameBatchIsFolded() {
    PullRecord first = pull(t(1), L1, ACME, "1.0.0", "1.0.0").withBlobBytes(0);
    PullRecord second = pull(t(2), L2, GLOBEX, "1.1.0", "1.1.0").withBlobBytes(0);
    String a = log.newId();
    String b = log.newId();
    assertThat(a).isNotEqualTo(b).hasSizeLessThanOrEqualTo(32);
    log.write(List.of(new PullWrite.Insert(a, first)));
    assertThat(log.find(PullQuery.all(10)).pulls()).containsExactly(first);
    log.write(List.of(new PullWrite.Complete(a, first.at(), 4_096, 3), new PullWrite.Insert(b, second),
        new PullWrite.Complete(b, second.at(), 7, 1)));
    assertThat(log.find(PullQuery.all(10)).pulls())
        .containsExactly(second.withBlobBytes(7), first.withBlobBytes(4_096).withCount(3));
    // A completion of a record pruned meanwhile changes nothing and fails nothing.
    log.write(List.of(new PullWrite.Complete(log.newId(), t(3), 1, 1)));
    assertThat(log.find(PullQuery.all(10)).pulls()).hasSize(2);
  }

  @Test
  void pages_followTheCursor_throughEqualTimes_withoutLosingOrRepeatingARecord() {
    List<PullRecord> all = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      // Five records share each time: the cursor must order by id within one time.
      all.add(pull(t(i / 5), L1, ACME, "1.0." + i, "1.0." + i));
    }
    log.append(all);

    List<PullRecord> read = new ArrayList<>();
    PullQuery q = PullQuery.all(7);
    int pages = 0;
    for (PullPage p = log.find(q); ; p = log.find(q)) {
      pages++;
      read.addAll(p.pulls());
      if (p.next() == null) {
        break;
      }
      q = q.after(p.next());
    }
    assertThat(pages).isEqualTo(4);
    assertThat(read).hasSize(25).containsExactlyInAnyOrderElementsOf(all);
    for (int i = 1; i < read.size(); i++) {
      assertThat(read.get(i).at()).isBeforeOrEqualTo(read.get(i - 1).at());
    }
  }

  @Test
  void filters_byLicenseCustomerApplicationAndTime() {
    log.append(List.of(
        pull(t(1), L1, ACME, "1.0.0", "1.0.0"),
        pull(t(2), L2, GLOBEX, "1.1.0", "1.1.0"),
        pull(t(3), L1, ACME, "1.1.0", "1.1.0"),
        new PullRecord(t(4), new LicenseId("lic_tool"), ACME, CredentialKind.LICENSE_KEY, "tool", "vendor/tool",
            "v2", "2", DIGEST, null, null, null)));

    assertThat(log.find(new PullQuery(L1, null, null, null, null, 10, null)).pulls())
        .extracting(PullRecord::tag).containsExactly("1.1.0", "1.0.0");
    assertThat(log.find(new PullQuery(null, GLOBEX, null, null, null, 10, null)).pulls())
        .extracting(PullRecord::licenseId).containsExactly(L2);
    assertThat(log.find(new PullQuery(null, ACME, "tool", null, null, 10, null)).pulls())
        .extracting(PullRecord::repository).containsExactly("vendor/tool");
    assertThat(log.find(new PullQuery(null, null, null, t(2), t(4), 10, null)).pulls())
        .as("since is inclusive, until exclusive").extracting(PullRecord::at).containsExactly(t(3), t(2));
  }

  @Test
  void aCursorThisLogNeverGave_isRefusedNamingTheField() {
    assertThatThrownBy(() -> log.find(PullQuery.all(10).after("not-a-cursor")))
        .isInstanceOf(InvalidInputException.class).hasMessageStartingWith("cursor:");
    assertThatThrownBy(() -> PullQuery.all(0)).isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("limit:");
  }

  @Test
  void summary_givesTheLastPullAndTheVersionsPulledSinceTheStart() {
    log.append(List.of(
        pull(t(0), L1, ACME, "0.9.0", "0.9.0"),
        pull(t(10), L1, ACME, "1.0.0", "1.0.0"),
        pull(t(20), L1, ACME, "v1.0.0", "1.0.0"),
        pull(t(30), L1, ACME, null, null),
        pull(t(40), L2, ACME, "1.1.0", "1.1.0")));

    PullSummary license = log.summary(L1, t(5));
    assertThat(license.last()).isEqualTo(t(30));
    assertThat(license.versions()).containsExactly(new PullSummary.PulledVersion("app", "1.0.0", t(20)));

    PullSummary customer = log.summary(ACME, t(5));
    assertThat(customer.last()).isEqualTo(t(40));
    assertThat(customer.versions()).extracting(PullSummary.PulledVersion::version).containsExactly("1.0.0", "1.1.0");

    PullSummary none = log.summary(new LicenseId("lic_never"), t(0));
    assertThat(none.last()).isNull();
    assertThat(none.versions()).isEmpty();
  }

  @Test
  void prune_deletesOnlyRecordsOlderThanTheLimit() {
    List<PullRecord> all = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      all.add(pull(t(i), L1, ACME, "1.0.0", "1.0.0"));
    }
    log.append(all);
    assertThat(log.prune(t(10))).isEqualTo(10);
    assertThat(log.find(PullQuery.all(1000)).pulls()).hasSize(20).allMatch(r -> !r.at().isBefore(t(10)));
    assertThat(log.prune(t(10))).isZero();
  }

  @Test
  void licenseWrites_whileBatchesAreAppended_areNeitherRefusedNorLost() throws Exception {
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.atomic.AtomicInteger batches = new java.util.concurrent.atomic.AtomicInteger();
    Thread writer = new Thread(() -> {
      List<PullRecord> batch = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        batch.add(pull(t(i), L1, ACME, "1.0.0", "1.0.0"));
      }
      while (!stop.get()) {
        log.append(batch);
        batches.incrementAndGet();
      }
    });
    writer.start();
    try {
      for (int i = 0; i < 20; i++) {
        // A read, then writes, in one transaction: the shape that a concurrent commit used to break.
        CustomerId c = store.createCustomer("Customer " + i, "t").id();
        store.createLicense(new NewLicense("prod", c, "app", null, List.of("1.0.0"), null), "t");
      }
    } finally {
      stop.set(true);
      writer.join();
    }
    assertThat(store.licenses(null)).hasSize(20);
    assertThat(log.find(PullQuery.all(1000)).pulls()).hasSize(Math.min(1000, batches.get() * 200));
  }

  @Test
  void aRecordStandingForSeveralGets_keepsItsCount() {
    PullRecord r = new PullRecord(t(1), L1, ACME, CredentialKind.LICENSE_KEY, "app", "vendor/app", "1.0.0", "1.0.0",
        DIGEST, "192.0.2.1", "docker/27", 2048L, 17);
    log.append(List.of(r, r.withCount(1)));
    assertThat(log.find(PullQuery.all(10)).pulls()).extracting(PullRecord::count).containsExactlyInAnyOrder(17, 1);
  }

  @Test
  void aPullWithAPullToken_namesTheToken_andOneWithAKey_namesNone() {
    PullRecord withToken = new PullRecord(t(1), L1, ACME, CredentialKind.PULL_TOKEN, "app", "vendor/app", "1.0.0",
        "1.0.0", DIGEST, "192.0.2.1", "docker/27", null).withToken("ptk_0123456789abcdef0123");
    PullRecord withKey = new PullRecord(t(2), L1, ACME, CredentialKind.LICENSE_KEY, "app", "vendor/app", "1.0.0",
        "1.0.0", DIGEST, "192.0.2.1", "docker/27", null);
    log.append(List.of(withToken, withKey));
    List<PullRecord> found = log.find(PullQuery.all(10)).pulls();
    assertThat(found).extracting(PullRecord::credential, PullRecord::tokenId).containsExactly(
        org.assertj.core.groups.Tuple.tuple(CredentialKind.LICENSE_KEY, null),
        org.assertj.core.groups.Tuple.tuple(CredentialKind.PULL_TOKEN, "ptk_0123456789abcdef0123"));
  }

  @Test
  void overlongValues_areCutToTheirColumns_notRefused() {
    PullRecord r = new PullRecord(t(1), L1, ACME, CredentialKind.LICENSE_KEY, "app", "vendor/app", "1.0.0", "1.0.0",
        DIGEST, "192.0.2.1", "x".repeat(5000), null);
    log.append(List.of(r));
    assertThat(log.find(PullQuery.all(1)).pulls().get(0).userAgent()).hasSize(400);
  }

  private static PullRecord from(Instant at, LicenseId license, String application, String version, String address) {
    return new PullRecord(at, license, L2.equals(license) ? GLOBEX : ACME, CredentialKind.LICENSE_KEY, application,
        "vendor/" + application, version, version, DIGEST, address, "docker/27", null);
  }

  @Test
  void versionsPulled_givesEachLicensesVersions_withTheirLastPullAndDistinctAddresses_sinceTheStart() {
    log.append(List.of(
        from(t(0), L1, "app", "0.9.0", "192.0.2.1"),
        from(t(10), L1, "app", "1.0.0", "192.0.2.1"),
        from(t(11), L1, "app", "1.0.0", "192.0.2.2"),
        from(t(12), L1, "app", "1.0.0", "192.0.2.2"),
        from(t(13), L1, "app", "1.0.0", null),
        from(t(20), L2, "app", "1.1.0", "192.0.2.9"),
        from(t(30), L1, "tool", "2", "192.0.2.1"),
        from(t(40), null, "app", "1.1.0", "192.0.2.3"),
        pull(t(50), L2, GLOBEX, null, null)));

    List<PullStats.VersionPulls> all = stats.versionsPulled(null, t(5), 100);
    assertThat(all).containsExactly(
        new PullStats.VersionPulls(L1, ACME, "tool", "2", t(30), 1),
        new PullStats.VersionPulls(L2, GLOBEX, "app", "1.1.0", t(20), 1),
        new PullStats.VersionPulls(L1, ACME, "app", "1.0.0", t(13), 2));
    assertThat(stats.versionsPulled("app", t(0), 100)).extracting(PullStats.VersionPulls::version)
        .containsExactly("1.1.0", "1.0.0", "0.9.0");
    assertThat(stats.versionsPulled("app", t(0), 2)).as("bounded, newest kept").hasSize(2);
    assertThat(stats.versionsPulled("nothing", t(0), 100)).isEmpty();
    assertThatThrownBy(() -> stats.versionsPulled(null, t(0), PullStats.MAX_ROWS + 1))
        .isInstanceOf(InvalidInputException.class).hasMessageStartingWith("limit:");
  }

  @Test
  void adoption_countsDistinctLicensesPerUtcDayAndVersion_newestDayFirst() {
    Instant day1 = StoreFixture.T0.truncatedTo(java.time.temporal.ChronoUnit.DAYS).plus(Duration.ofHours(1));
    Instant day2 = day1.plus(Duration.ofDays(1));
    log.append(List.of(
        from(day1, L1, "app", "1.0.0", "192.0.2.1"),
        from(day1.plus(Duration.ofHours(2)), L1, "app", "1.0.0", "192.0.2.2"),
        from(day1.plus(Duration.ofHours(3)), L2, "app", "1.0.0", "192.0.2.3"),
        from(day2, L1, "app", "1.1.0", "192.0.2.1"),
        from(day2, L2, "app", "1.0.0", "192.0.2.3"),
        from(day2, L1, "tool", "2", "192.0.2.1")));

    java.time.LocalDate d1 = java.time.LocalDate.ofInstant(day1, java.time.ZoneOffset.UTC);
    java.time.LocalDate d2 = d1.plusDays(1);
    assertThat(stats.adoption("app", day1, 100)).containsExactly(
        new PullStats.DailyAdoption(d2, "app", "1.0.0", 1),
        new PullStats.DailyAdoption(d2, "app", "1.1.0", 1),
        new PullStats.DailyAdoption(d1, "app", "1.0.0", 2));
    assertThat(stats.adoption(null, day2, 100)).extracting(PullStats.DailyAdoption::application)
        .containsExactly("app", "app", "tool");
  }

  @Test
  void lastPulls_givesEachLicensesLastPull() {
    log.append(List.of(
        from(t(1), L1, "app", "1.0.0", null),
        from(t(9), L1, "tool", "2", null),
        from(t(5), L2, "app", "1.0.0", null),
        from(t(20), null, "app", "1.0.0", null)));
    assertThat(stats.lastPulls(100)).containsExactly(Map.entry(L1, t(9)), Map.entry(L2, t(5)));
  }
}
