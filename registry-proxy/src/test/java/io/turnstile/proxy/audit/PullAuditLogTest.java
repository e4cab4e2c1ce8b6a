package io.turnstile.proxy.audit;

import static io.turnstile.store.testing.Eventually.until;
import static org.assertj.core.api.Assertions.assertThat;

import io.turnstile.store.CredentialKind;
import io.turnstile.store.CustomerId;
import io.turnstile.store.InvalidInputException;
import io.turnstile.store.LicenseId;
import io.turnstile.store.PullLog;
import io.turnstile.store.PullPage;
import io.turnstile.store.PullQuery;
import io.turnstile.store.PullRecord;
import io.turnstile.store.PullSummary;
import io.turnstile.store.PullWrite;
import io.turnstile.store.StoreUnavailableException;
import io.turnstile.store.testing.Eventually;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The audit queue: never blocks a pull, counts what it drops, survives an outage, batches its writes. */
class PullAuditLogTest {
  private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
  private static final PullRecorder.JoinKey KEY_A = new PullRecorder.JoinKey("key_a", "vendor/app", null);
  private static final PullRecorder.JoinKey KEY_B = new PullRecorder.JoinKey("key_b", "vendor/app", null);
  private final FakeLog store = new FakeLog();
  private PullAuditLog audit;

  @AfterEach
  void close() {
    store.release.countDown();
    if (audit != null) {
      audit.close();
    }
  }

  private PullAuditLog open(int capacity, Duration interval) {
    return open(capacity, PullAuditLog.MAX_QUEUE_BYTES, interval);
  }

  private PullAuditLog open(int capacity, long maxBytes, Duration interval) {
    audit = new PullAuditLog(store, Clock.fixed(NOW, ZoneOffset.UTC), Duration.ofDays(90), capacity, maxBytes, 100,
        interval, Duration.ofMillis(10), Duration.ofMillis(200));
    return audit;
  }

  private static PullRecord withUserAgent(int i, String userAgent) {
    return new PullRecord(NOW, new LicenseId("lic_" + i), new CustomerId("cus_a"), CredentialKind.LICENSE_KEY, "app",
        "vendor/app", "1.0." + i, "1.0." + i, "sha256:" + "a".repeat(64), "192.0.2.1", userAgent, null);
  }

  @Test
  void longUserAgents_areCutWhenThePullIsSeen_notWhenWritten() throws Exception {
    store.blockWrites();
    PullAuditLog log = open(100_000, Duration.ofMillis(1));
    log.pulled(record(0), null);
    assertThat(store.writing.await(5, TimeUnit.SECONDS)).as("the writer is stuck in the store").isTrue();
    // 8,000 manifest GETs, each with a User-Agent of 15,000 characters of its own, while the
    // database does not answer: they used to wait in memory whole (about 240 MB).
    for (int i = 1; i <= 8_000; i++) {
      log.pulled(withUserAgent(i, i + "-" + "u".repeat(15_000)), null);
    }
    assertThat(log.stats().dropped()).isZero();
    assertThat(log.queuedBytes()).as("bytes queued").isLessThan(16L << 20);
    store.release.countDown();
    assertThat(log.flush(Duration.ofSeconds(10))).isTrue();
    assertThat(store.records()).hasSize(8_001).allMatch(r -> r.userAgent().length() <= PullRecord.MAX_USER_AGENT);
    assertThat(log.queuedBytes()).isZero();
  }

  @Test
  void theQueue_isBoundedInBytes_whateverItsCount() throws Exception {
    store.blockWrites();
    PullAuditLog log = open(100_000, 1L << 20, Duration.ofMillis(1));
    log.pulled(record(0), null);
    assertThat(store.writing.await(5, TimeUnit.SECONDS)).as("the writer is stuck in the store").isTrue();
    for (int i = 1; i <= 5_000; i++) {
      log.pulled(withUserAgent(i, "u".repeat(PullRecord.MAX_USER_AGENT)), null);
    }
    long weight = PullAuditLog.weight(withUserAgent(5_000, "u".repeat(PullRecord.MAX_USER_AGENT)));
    assertThat(log.queuedBytes()).as("full to within one record").isBetween((1L << 20) - weight, 1L << 20);
    assertThat(log.stats().dropped()).isEqualTo(5_000L - (log.stats().queued() - 1));
    store.release.countDown();
    assertThat(log.flush(Duration.ofSeconds(10))).isTrue();
    assertThat(log.queuedBytes()).isZero();
  }

  private static PullRecord record(int i) {
    return new PullRecord(NOW, new LicenseId("lic_" + i), new CustomerId("cus_a"), CredentialKind.LICENSE_KEY, "app",
        "vendor/app", "1.0." + i, "1.0." + i, "sha256:" + "a".repeat(64), "192.0.2.1", "test", null);
  }

  @Test
  void aFullQueue_dropsAndCountsRecords_andNeverBlocksTheCaller() throws Exception {
    store.blockWrites();
    PullAuditLog log = open(1000, Duration.ofMillis(1));
    log.pulled(record(0), null);
    assertThat(store.writing.await(Eventually.PATIENCE.toSeconds(), TimeUnit.SECONDS)).as("the writer holds a batch and is stuck in the store").isTrue();

    long start = System.nanoTime();
    for (int i = 1; i <= 1500; i++) {
      log.pulled(record(i), null);
    }
    long took = System.nanoTime() - start;

    AuditStats s = log.stats();
    assertThat(s.queued()).isEqualTo(1001);
    assertThat(s.dropped()).isEqualTo(500);
    assertThat(s.capacity()).isEqualTo(1000);
    assertThat(Duration.ofNanos(took)).as("1,500 offers, 500 of them refused").isLessThan(Duration.ofSeconds(1));

    store.release.countDown();
    assertThat(log.flush(Duration.ofSeconds(10))).isTrue();
    assertThat(store.records()).hasSize(1001);
    assertThat(log.stats().written()).isEqualTo(1001);
  }

  @Test
  void records_areWrittenInBatches_ofAtMostTheBatchSize() throws Exception {
    PullAuditLog log = open(10_000, Duration.ofMillis(20));
    for (int i = 0; i < 1050; i++) {
      log.pulled(record(i), null);
    }
    assertThat(log.flush(Duration.ofSeconds(10))).isTrue();
    assertThat(store.records()).hasSize(1050);
    assertThat(store.batchSizes).allMatch(n -> n <= 100);
    assertThat(log.stats()).isEqualTo(new AuditStats(0, 0, 10_000, 0, 1050, 0));
  }

  @Test
  void anUnreachableDatabase_delaysTheWrites_withoutLosingARecord() throws Exception {
    store.failNext(m -> new StoreUnavailableException(m, null), 4);
    PullAuditLog log = open(1000, Duration.ofMillis(5));
    for (int i = 0; i < 300; i++) {
      log.pulled(record(i), null);
    }
    assertThat(log.flush(Duration.ofSeconds(10))).isTrue();
    assertThat(store.records()).hasSize(300).extracting(r -> r.licenseId().value()).doesNotHaveDuplicates();
    assertThat(log.stats().failedWrites()).isEqualTo(4);
    assertThat(log.stats().dropped()).isZero();
  }

  @Test
  void aBatchTheDatabaseRefusesWhileReachable_isDroppedAfterRetries_andCounted() throws Exception {
    store.failNext(m -> new InvalidInputException("digest", m), 5);
    PullAuditLog log = open(1000, Duration.ofMillis(200));
    log.pulled(record(1), null);
    assertThat(log.flush(Duration.ofSeconds(10))).isTrue();
    log.pulled(record(2), null);
    assertThat(log.flush(Duration.ofSeconds(10))).isTrue();
    assertThat(store.records()).extracting(r -> r.licenseId().value()).containsExactly("lic_2");
    assertThat(log.stats().dropped()).isEqualTo(1);
  }

  @Test
  void flush_writesAtOnce_withoutWaitingForTheInterval() throws Exception {
    PullAuditLog log = open(1000, Duration.ofHours(1));
    log.pulled(record(1), null);
    log.pulled(record(2), null);
    long start = System.nanoTime();
    assertThat(log.flush(Duration.ofSeconds(10))).isTrue();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    assertThat(store.records()).hasSize(2);
  }

  @Test
  void close_writesWhatIsQueued_andLaterRecordsAreDroppedAndCounted() {
    PullAuditLog log = open(1000, Duration.ofHours(1));
    log.pulled(record(1), null);
    log.close();
    assertThat(store.records()).hasSize(1);
    log.pulled(record(2), null);
    assertThat(log.stats().dropped()).isEqualTo(1);
  }

  @Test
  void blobBytes_joinTheRecordOpenUnderTheSameKey_untilItsNextManifestOrAQuietSpell() throws Exception {
    PullAuditLog log = open(1000, Duration.ofMillis(5));
    log.pulled(record(1), KEY_A);
    log.blobBytes(KEY_A, 100);
    log.blobBytes(KEY_B, 7);
    log.blobBytes(KEY_A, 50);
    log.pulled(record(2), KEY_A);
    log.pulled(record(3), KEY_B);
    log.blobBytes(KEY_A, 30);
    assertThat(log.stats().open()).isEqualTo(2);

    // Each record is written at once; the quiet spell closes the open ones, and completes lic_2.
    until("the open records closed by the quiet spell", () -> log.stats().open() == 0);
    assertThat(log.flush(Duration.ofSeconds(5))).isTrue();
    assertThat(store.records()).extracting(r -> r.licenseId().value() + "=" + r.blobBytes())
        .containsExactlyInAnyOrder("lic_1=150", "lic_2=30", "lic_3=0");
  }

  @Test
  void theSameGetRepeatedWithinASecond_isOneRecordWithACount_andADifferentOneIsNot() throws Exception {
    PullAuditLog log = open(1000, Duration.ofMillis(5));
    PullRecord first = record(1);
    for (int i = 0; i < 500; i++) {
      log.pulled(first, KEY_A);
      log.blobBytes(KEY_A, 2);
    }
    // Another tag under the same key: a record of its own, which closes the repeated one.
    log.pulled(record(2), KEY_A);
    // The same GET from another key: its own record.
    log.pulled(first, KEY_B);
    assertThat(log.flush(Duration.ofSeconds(5))).isTrue();
    assertThat(store.records()).extracting(r -> r.tag() + "x" + r.count() + "=" + r.blobBytes())
        .containsExactlyInAnyOrder("1.0.1x500=1000", "1.0.2x1=0", "1.0.1x1=0");
    assertThat(log.stats().written()).isEqualTo(3);
  }

  @Test
  void aRepeatAfterTheWindow_startsANewRecord() throws Exception {
    OpenPulls open = new OpenPulls(100, Duration.ofSeconds(10).toNanos());
    PullRecord r = record(1);
    List<PullWrite> out = new ArrayList<>();
    AtomicInteger ids = new AtomicInteger();
    Supplier<String> id = () -> "id" + ids.incrementAndGet();
    open.open(KEY_A, r, 0, id, out::add);
    open.open(KEY_A, r, OpenPulls.REPEAT_WINDOW_NANOS - 1, id, out::add);
    // Written at once; the repeat only counts on it.
    assertThat(out).containsExactly(new PullWrite.Insert("id1", r.withBlobBytes(0)));
    open.open(KEY_A, r, OpenPulls.REPEAT_WINDOW_NANOS, id, out::add);
    assertThat(out).hasSize(3);
    assertThat(out.get(1)).isEqualTo(new PullWrite.Insert("id2", r.withBlobBytes(0)));
    assertThat(out.get(2)).isEqualTo(new PullWrite.Complete("id1", r.at(), 0, 2));
    out.clear();
    open.close(OpenPulls.REPEAT_WINDOW_NANOS, true, out::add);
    assertThat(out).as("a record with nothing to add is not written again").isEmpty();
  }

  @Test
  void aGetByDigestAfterAHeadByTag_takesTheTag_andThePlatformManifestIsPartOfThatPull() throws Exception {
    PullAuditLog log = open(1000, Duration.ofMillis(5));
    String index = "sha256:" + "1".repeat(64);
    String platform = "sha256:" + "2".repeat(64);
    // docker pull app:1.0.0: HEAD by tag, then the index and its platform manifest by digest, then blobs.
    log.resolved(KEY_A, "1.0.0", index);
    log.pulled(byDigest(index, "1.0.0"), KEY_A);
    log.pulled(byDigest(platform, "1.0.0"), KEY_A);
    log.blobBytes(KEY_A, 300);
    // Another version by digest, with no HEAD before it: a pull of its own, with no tag.
    log.pulled(byDigest("sha256:" + "3".repeat(64), "1.1.0"), KEY_A);
    assertThat(log.flush(Duration.ofSeconds(5))).isTrue();
    assertThat(store.records()).extracting(r -> r.tag() + "@" + r.digest().substring(7, 8) + "=" + r.blobBytes())
        .containsExactlyInAnyOrder("1.0.0@1=300", "null@3=0");
  }

  @Test
  void aRecordIsWrittenBeforeItsWindowCloses_andCompletedWhenItDoes() throws Exception {
    PullAuditLog log = open(1000, Duration.ofMillis(5));
    log.pulled(record(1), KEY_A);
    log.blobBytes(KEY_A, 7);
    until("the record written while it is still open", () -> store.records().size() == 1);
    assertThat(log.stats().open()).isEqualTo(1);
    assertThat(store.records().get(0).blobBytes()).isZero();
    log.blobBytes(KEY_A, 5);
    assertThat(log.flush(Duration.ofSeconds(5))).isTrue();
    assertThat(store.records()).extracting(PullRecord::blobBytes).containsExactly(12L);
    assertThat(log.stats().written()).as("records written, not writes").isEqualTo(1);
  }

  private static PullRecord byDigest(String digest, String version) {
    return new PullRecord(NOW, new LicenseId("lic_1"), new CustomerId("cus_a"), CredentialKind.LICENSE_KEY, "app",
        "vendor/app", null, version, digest, "192.0.2.1", "docker/27", null);
  }

  @Test
  void repeatsCountedFromManyThreads_areNeitherLostNorCountedTwice() throws Exception {
    OpenPulls open = new OpenPulls(100, 0);
    PullRecord r = record(1);
    List<PullWrite> out = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger ids = new AtomicInteger();
    Supplier<String> id = () -> "id" + ids.incrementAndGet();
    int threads = 4;
    int each = 50_000;
    AtomicBoolean done = new AtomicBoolean();
    // A writer closing every open record all the while, as the log's thread does after a quiet spell.
    Thread closer = new Thread(() -> {
      while (!done.get()) {
        open.close(Long.MAX_VALUE, true, out::add);
      }
    });
    closer.start();
    List<Thread> pullers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread p = new Thread(() -> {
        for (int i = 0; i < each; i++) {
          open.open(KEY_A, r, 0, id, out::add);
        }
      });
      pullers.add(p);
      p.start();
    }
    for (Thread p : pullers) {
      p.join();
    }
    done.set(true);
    closer.join();
    open.close(Long.MAX_VALUE, true, out::add);
    Map<String, Integer> counts = new HashMap<>();
    synchronized (out) {
      for (PullWrite w : out) {
        if (w instanceof PullWrite.Insert i) {
          assertThat(counts.putIfAbsent(i.id(), i.record().count())).as("inserted once").isNull();
        } else if (w instanceof PullWrite.Complete c) {
          assertThat(counts.put(c.id(), c.count())).as("completed after its insert").isNotNull();
        }
      }
    }
    assertThat(counts.values().stream().mapToLong(Integer::longValue).sum()).isEqualTo((long) threads * each);
  }

  @Test
  void flush_closesTheOpenRecords_andARecordWithoutAKey_isQueuedUncounted() throws Exception {
    PullAuditLog log = open(1000, Duration.ofMillis(5));
    log.pulled(record(1), KEY_A);
    log.blobBytes(KEY_A, 10);
    log.pulled(record(2), null);
    assertThat(log.flush(Duration.ofSeconds(5))).isTrue();
    assertThat(store.records()).extracting(r -> r.licenseId().value() + "=" + r.blobBytes())
        .containsExactlyInAnyOrder("lic_1=10", "lic_2=null");
  }

  @Test
  void recordsOlderThanTheRetention_arePrunedAtStart() throws Exception {
    open(1000, Duration.ofMillis(5));
    until("the prune at start", () -> !store.prunedBefore.isEmpty());
    assertThat(store.prunedBefore).containsExactly(NOW.minus(Duration.ofDays(90)));
  }

  /** A store that keeps what it is given, and fails or blocks when told to. */
  private static final class FakeLog implements PullLog {
    final Map<String, PullRecord> records = Collections.synchronizedMap(new LinkedHashMap<>());
    private final AtomicInteger ids = new AtomicInteger();
    final List<Integer> batchSizes = Collections.synchronizedList(new ArrayList<>());
    final List<Instant> prunedBefore = Collections.synchronizedList(new ArrayList<>());
    final CountDownLatch writing = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    private volatile boolean block;
    private final AtomicInteger failures = new AtomicInteger();
    private volatile java.util.function.Function<String, RuntimeException> failure;

    void blockWrites() {
      block = true;
    }

    void failNext(java.util.function.Function<String, RuntimeException> f, int times) {
      failure = f;
      failures.set(times);
    }

    List<PullRecord> records() {
      synchronized (records) {
        return List.copyOf(records.values());
      }
    }

    @Override
    public void write(List<PullWrite> batch) {
      if (block) {
        writing.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (failures.getAndDecrement() > 0) {
        throw failure.apply("refused");
      }
      batchSizes.add(batch.size());
      synchronized (records) {
        for (PullWrite w : batch) {
          if (w instanceof PullWrite.Insert i) {
            records.put(i.id(), i.record());
          } else if (w instanceof PullWrite.Complete c) {
            records.computeIfPresent(c.id(), (k, r) -> r.withBlobBytes(c.blobBytes()).withCount(c.count()));
          }
        }
      }
    }

    @Override
    public String newId() {
      return "pull" + ids.incrementAndGet();
    }

    @Override
    public PullPage find(PullQuery query) {
      throw new UnsupportedOperationException();
    }

    @Override
    public PullSummary summary(LicenseId id, Instant since) {
      throw new UnsupportedOperationException();
    }

    @Override
    public PullSummary summary(CustomerId id, Instant since) {
      throw new UnsupportedOperationException();
    }

    @Override
    public long prune(Instant before) {
      prunedBefore.add(before);
      return 0;
    }
  }
}
