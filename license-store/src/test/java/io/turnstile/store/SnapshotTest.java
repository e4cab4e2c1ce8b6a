package io.turnstile.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.turnstile.store.testing.MutableClock;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotTest {
  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(StoreFixture.T0);

  @Test
  void authorize_answersFromMemory_withoutTouchingTheDatabase() throws Exception {
    int customers = 100;
    int perCustomer = 100;
    List<String> versions = new ArrayList<>();
    for (int v = 0; v < 10; v++) {
      versions.add("1." + v + ".0");
    }
    List<CustomerImport> batch = new ArrayList<>();
    for (int c = 0; c < customers; c++) {
      List<NewLicense> licenses = new ArrayList<>();
      for (int j = 0; j < perCustomer; j++) {
        licenses.add(new NewLicense("l" + j, null, j % 2 == 0 ? "app" : "tool", null, versions, null));
      }
      batch.add(new CustomerImport("Customer " + c, licenses));
    }
    List<IssuedKey> keys = new ArrayList<>();
    try (LicenseStore seed = StoreFixture.open(dir, clock)) {
      seed.importCustomers(batch, "seed").forEach(c -> keys.addAll(c.licenseKeys()));
    }
    int licenses = customers * perCustomer;
    try (LicenseStore store = StoreFixture.open(dir, clock)) {
      assertThat(store.snapshot().licenses()).hasSize(licenses);
      long statementsBefore = store.stats().statementsExecuted();
      int granted = 0;
      for (int i = 0; i < 100_000; i++) {
        IssuedKey k = keys.get(i % licenses);
        AuthResult r = store.authorize(k.username(), k.key());
        if (r instanceof Access a && a.allowsTag((i % perCustomer) % 2 == 0 ? "vendor/app" : "vendor/tool", "1.3.0")) {
          granted++;
        }
      }
      assertThat(granted).isEqualTo(100_000);
      assertThat(store.stats().statementsExecuted()).isEqualTo(statementsBefore);
    }
  }

  @Test
  void authorizingByRange_readsNoDatabase() throws Exception {
    List<CustomerImport> batch = new ArrayList<>();
    for (int c = 0; c < 50; c++) {
      batch.add(new CustomerImport("Customer " + c, List.of(
          new NewLicense("exact", null, "app", null, List.of("1.3.0"), null),
          new NewLicense("line", null, "app", null, List.of(), List.of(RangeGrant.of("^1.2.0")), false, null))));
    }
    List<IssuedKey> keys = new ArrayList<>();
    try (LicenseStore seed = StoreFixture.open(dir, clock)) {
      seed.importCustomers(batch, "seed").forEach(c -> keys.addAll(c.licenseKeys()));
    }
    try (LicenseStore store = StoreFixture.open(dir, clock)) {
      long statementsBefore = store.stats().statementsExecuted();
      int granted = 0;
      for (int i = 0; i < 10_000; i++) {
        IssuedKey k = keys.get(i % keys.size());
        if (store.authorize(k.username(), k.key()) instanceof Access a
            && a.allowsTag("vendor/app", i % 2 == 0 ? "1.3.0" : "v1." + i % 5 + "." + i)) {
          granted++;
        }
      }
      assertThat(granted).as("every exact one, and ^1.2.0 for minors 2, 3 and 4 of 0 to 4").isEqualTo(5_000 + 3_000);
      assertThat(store.stats().statementsExecuted()).isEqualTo(statementsBefore);
    }
  }

  @Test
  void grantOf_oneLicense_decidesItsTagsAsAPullWould() throws Exception {
    List<IssuedKey> keys = new ArrayList<>();
    try (LicenseStore store = StoreFixture.open(dir, clock)) {
      store.importCustomers(List.of(new CustomerImport("Acme", List.of(
          new NewLicense("line", null, "app", StoreFixture.T0.plusSeconds(3600), List.of("1.0.0"),
              List.of(RangeGrant.of("^1.2.0")), false, null)))), "seed").forEach(c -> keys.addAll(c.licenseKeys()));
      Snapshot s = store.snapshot();
      License l = s.license(new LicenseId(keys.get(0).username()));
      Grant g = s.grantOf(l, "vendor/app", clock.instant());
      assertThat(g.grantedTags(List.of("1.0.0", "1.1.0", "v1.2.3", "1.3.0-rc.1", "1.4.0", "latest")).keySet())
          .containsExactly("1.0.0", "v1.2.3", "1.4.0");
      assertThat(s.grantOf(l, "vendor/tool", clock.instant())).as("another application's repository").isNull();
      assertThat(s.grantOf(l, "vendor/nothing", clock.instant())).as("not configured").isNull();
      assertThat(s.grantOf(l, "vendor/app", StoreFixture.T0.plusSeconds(7200))).as("expired, not kept").isNull();
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
