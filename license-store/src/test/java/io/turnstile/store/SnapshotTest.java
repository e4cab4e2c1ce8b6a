package io.turnstile.store;

import static io.turnstile.store.internal.db.Tables.CUSTOMERS;
import static io.turnstile.store.internal.db.Tables.LICENSES;
import static io.turnstile.store.internal.db.Tables.LICENSE_VERSIONS;
import static org.assertj.core.api.Assertions.assertThat;

import io.turnstile.store.internal.JooqLicenseStore;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jooq.DSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotTest {
  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(StoreFixture.T0);

  @Test
  void authorize_answersFromMemory_withoutTouchingTheDatabase() throws Exception {
    int licenses = 10_000;
    List<String[]> keys = new ArrayList<>(licenses);
    try (LicenseStore seed = StoreFixture.open(dir, clock)) {
      DSLContext dsl = ((JooqLicenseStore) seed).database().dsl();
      long now = clock.millis();
      dsl.transaction(cfg -> {
        DSLContext tx = cfg.dsl();
        for (int c = 0; c < 100; c++) {
          tx.insertInto(CUSTOMERS).values("cus_" + c, "Customer " + c, now, null).execute();
        }
        var insertLicense = tx.batch(tx.insertInto(LICENSES).values(
            (String) null, null, null, null, null, null, null, null, null, null, null, null));
        var insertVersion = tx.batch(tx.insertInto(LICENSE_VERSIONS).values((String) null, null, null));
        for (int i = 0; i < licenses; i++) {
          String key = Keys.newKey();
          String id = "lic_" + i;
          keys.add(new String[] {id, key});
          insertLicense.bind(id, "cus_" + (i % 100), "l" + i, i % 2 == 0 ? "app" : "tool", null, null,
              "lk_" + i, Keys.hash(key), null, null, now, now);
          for (int v = 0; v < 10; v++) {
            insertVersion.bind(id, "1." + v + ".0", now);
          }
        }
        insertLicense.execute();
        insertVersion.execute();
      });
    }
    try (LicenseStore store = StoreFixture.open(dir, clock)) {
      assertThat(store.snapshot().licenses()).hasSize(licenses);
      long queriesBefore = ((JooqLicenseStore) store).database().queriesExecuted();
      int granted = 0;
      Instant now = clock.instant();
      for (int i = 0; i < 100_000; i++) {
        String[] k = keys.get(i % licenses);
        AuthResult r = store.snapshot().authenticate(k[0], k[1], now);
        if (r instanceof Access a && a.allowsTag((i % licenses) % 2 == 0 ? "vendor/app" : "vendor/tool", "1.3.0")) {
          granted++;
        }
      }
      assertThat(granted).isEqualTo(100_000);
      assertThat(((JooqLicenseStore) store).database().queriesExecuted()).isEqualTo(queriesBefore);
    }
  }

  @Test
  void concurrentReaders_alwaysSeeAWholeSnapshot() throws Exception {
    try (LicenseStore store = StoreFixture.open(dir, clock)) {
      CustomerId c = store.createCustomer("Acme", "t").id();
      IssuedKey key = store.createLicense(new NewLicense("l", c, "app", null, List.of("1.0.0"), null), "t");
      LicenseId id = new LicenseId(key.username());
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong reads = new AtomicLong();
      ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
      CountDownLatch started = new CountDownLatch(4);
      List<Thread> readers = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        Thread th = new Thread(() -> {
          started.countDown();
          while (!stop.get()) {
            Snapshot s = store.snapshot();
            AuthResult r = s.authenticate(key.username(), key.key(), clock.instant());
            if (!(r instanceof Access a)) {
              problems.add("refused: " + r);
              continue;
            }
            // The writer grants 2.x and revokes 1.0.0 in separate changes, always keeping one of
            // them; a torn snapshot could show neither.
            boolean v1 = a.allowsTag("vendor/app", "1.0.0");
            boolean v2 = a.grantedTags("vendor/app").stream().anyMatch(tag -> tag.startsWith("2."));
            if (!v1 && !v2) {
              problems.add("snapshot with no version");
            }
            if (s.license(id).versions().isEmpty()) {
              problems.add("license without versions");
            }
            reads.incrementAndGet();
          }
        });
        th.start();
        readers.add(th);
      }
      started.await();
      for (int round = 0; round < 50; round++) {
        store.grantVersions(id, List.of("2." + round + ".0"), "writer");
        store.revokeVersion(id, "1.0.0", "writer");
        store.grantVersions(id, List.of("1.0.0"), "writer");
        store.revokeVersion(id, "2." + round + ".0", "writer");
      }
      stop.set(true);
      for (Thread th : readers) {
        th.join();
      }
      assertThat(problems).isEmpty();
      assertThat(reads.get()).isGreaterThan(1000);
      assertThat(store.snapshot().license(id).versions()).containsExactly("1.0.0");
    }
  }
}
