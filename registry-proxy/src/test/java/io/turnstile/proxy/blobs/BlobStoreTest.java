package io.turnstile.proxy.blobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlobStoreTest {
  private static final long MIB = 1 << 20;
  @TempDir Path dir;
  private final ExecutorService io = Executors.newFixedThreadPool(2);
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private BlobStore store;

  @AfterEach
  void stop() throws InterruptedException {
    if (store != null) {
      store.close();
    }
    io.shutdown();
    assertThat(io.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
  }

  private BlobStore open(long maxSize) throws IOException {
    store = BlobStore.open("vendor", dir, maxSize, io, meters);
    return store;
  }

  private static byte[] bytes(int n, int seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static String digest(byte[] data) throws Exception {
    return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
  }

  private Path file(String digest) {
    String hex = digest.substring(7);
    return dir.resolve("sha256").resolve(hex.substring(0, 2)).resolve(hex);
  }

  private long parts() throws IOException {
    try (Stream<Path> s = Files.list(dir.resolve("tmp"))) {
      return s.count();
    }
  }

  /** Downloads {@code data} under {@code name} in three pieces, as a relay would. */
  private BlobStore.Entry fill(String name, byte[] data) throws Exception {
    BlobStore.Claim claim = store.claim(name);
    assertThat(claim).isInstanceOf(BlobStore.Lead.class);
    Fill f = ((BlobStore.Lead) claim).fill();
    int third = data.length / 3;
    for (int[] piece : new int[][] {{0, third}, {third, third}, {2 * third, data.length - 2 * third}}) {
      ByteBuf b = Unpooled.copiedBuffer(data, piece[0], piece[1]);
      f.write(b);
      b.release();
    }
    if (!f.finish().get(5, TimeUnit.SECONDS)) {
      // Abandoned: its partial file is deleted on the io executor before the result fails.
      assertThatThrownBy(() -> f.result().get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(FillFailedException.class);
      return null;
    }
    return f.result().get(5, TimeUnit.SECONDS);
  }

  @Test
  void aVerifiedDownload_landsWhole_underItsDigest() throws Exception {
    open(10 * MIB);
    byte[] data = bytes(100_000, 1);
    String d = digest(data);
    BlobStore.Entry e = fill(d, data);
    assertThat(e.size()).isEqualTo(data.length);
    assertThat(Files.readAllBytes(file(d))).isEqualTo(data);
    assertThat(parts()).isZero();
    assertThat(store.lookup(d)).isSameAs(e);
    assertThat(store.verified(e).get()).isTrue();
  }

  @Test
  void contentNotMatchingItsDigest_leavesNothing_andFailsThoseWaiting() throws Exception {
    open(10 * MIB);
    byte[] data = bytes(100_000, 2);
    String d = digest(bytes(100_000, 3));
    BlobStore.Lead lead = (BlobStore.Lead) store.claim(d);
    BlobStore.Claim other = store.claim(d);
    assertThat(other).isInstanceOf(BlobStore.Follow.class);
    ByteBuf b = Unpooled.wrappedBuffer(data);
    lead.fill().write(b);
    b.release();
    assertThat(lead.fill().finish().get(5, TimeUnit.SECONDS)).isFalse();
    assertThatThrownBy(() -> ((BlobStore.Follow) other).result().get(5, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(FillFailedException.class);
    assertThat(file(d)).doesNotExist();
    assertThat(parts()).isZero();
    assertThat(store.lookup(d)).isNull();
    assertThat(store.claim(d)).as("the next caller downloads again").isInstanceOf(BlobStore.Lead.class);
  }

  @Test
  void anAbortedDownload_leavesNothing() throws Exception {
    open(10 * MIB);
    byte[] data = bytes(100_000, 4);
    String d = digest(data);
    BlobStore.Lead lead = (BlobStore.Lead) store.claim(d);
    ByteBuf b = Unpooled.wrappedBuffer(data, 0, 50_000);
    lead.fill().write(b);
    b.release();
    lead.fill().abort("the client left", null);
    assertThatThrownBy(() -> lead.fill().result().get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(FillFailedException.class);
    assertThat(file(d)).doesNotExist();
    assertThat(parts()).isZero();
  }

  @Test
  void singleFlight_oneLeads_theOthersFollow_andAfterItLandsTheyFindIt() throws Exception {
    open(10 * MIB);
    byte[] data = bytes(1000, 5);
    String d = digest(data);
    BlobStore.Lead lead = (BlobStore.Lead) store.claim(d);
    BlobStore.Follow follow = (BlobStore.Follow) store.claim(d);
    ByteBuf b = Unpooled.wrappedBuffer(data);
    lead.fill().write(b);
    b.release();
    assertThat(lead.fill().finish().get(5, TimeUnit.SECONDS)).isTrue();
    assertThat(follow.result().get(5, TimeUnit.SECONDS).digest()).isEqualTo(d);
    assertThat(store.claim(d)).isInstanceOf(BlobStore.Ready.class);
  }

  /** Writes {@code data} in two pieces, the second the last, and waits until followers may read anything. */
  private Fill growing(String name, byte[] data, int first) throws Exception {
    Fill f = ((BlobStore.Lead) store.claim(name)).fill();
    f.started(data.length);
    CountDownLatch progress = new CountDownLatch(1);
    f.awaitProgress(0, progress::countDown);
    ByteBuf a = Unpooled.copiedBuffer(data, 0, first);
    ByteBuf b = Unpooled.copiedBuffer(data, first, data.length - first);
    f.write(a);
    f.write(b);
    a.release();
    b.release();
    assertThat(progress.await(5, TimeUnit.SECONDS)).as("followers woken").isTrue();
    return f;
  }

  @Test
  void followers_readTheGrowingFile_butNotItsLastPiece_untilTheDigestMatched() throws Exception {
    open(10 * MIB);
    byte[] data = bytes(1_000_000, 10);
    String d = digest(data);
    Fill f = growing(d, data, 400_000);
    BlobStore.Follow follow = (BlobStore.Follow) store.claim(d);
    assertThat(follow.fill()).isSameAs(f);
    assertThat(f.length()).isEqualTo(data.length);
    assertThat(f.state()).isEqualTo(Fill.State.RUNNING);
    assertThat(f.published()).as("everything but the last piece").isEqualTo(400_000);
    byte[] onDisk = Files.readAllBytes(f.part());
    assertThat(Arrays.copyOf(onDisk, 400_000)).isEqualTo(Arrays.copyOf(data, 400_000));

    assertThat(f.finish().get(5, TimeUnit.SECONDS)).isTrue();
    BlobStore.Entry landed = follow.result().get(5, TimeUnit.SECONDS);
    assertThat(f.state()).isEqualTo(Fill.State.COMPLETE);
    assertThat(f.published()).isEqualTo(data.length);
    assertThat(Files.readAllBytes(landed.path())).isEqualTo(data);
  }

  @Test
  void followersOfContentNotMatchingItsDigest_neverHaveItWhole() throws Exception {
    open(10 * MIB);
    byte[] data = bytes(1_000_000, 11);
    String d = digest(bytes(1_000_000, 12));
    Fill f = growing(d, data, 400_000);
    CountDownLatch ended = new CountDownLatch(1);
    assertThat(f.finish().get(5, TimeUnit.SECONDS)).isFalse();
    f.awaitProgress(f.published(), ended::countDown);
    assertThat(ended.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(f.state()).isEqualTo(Fill.State.FAILED);
    assertThat(f.published()).isEqualTo(400_000);
    assertThatThrownBy(() -> f.result().get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(FillFailedException.class);
    assertThat(parts()).isZero();
  }

  @Test
  void aDownloadGivenUp_tellsItsFollowers() throws Exception {
    open(10 * MIB);
    byte[] data = bytes(1_000_000, 13);
    String d = digest(data);
    Fill f = growing(d, data, 400_000);
    CountDownLatch ended = new CountDownLatch(1);
    f.awaitProgress(f.published(), ended::countDown);
    f.abort("the client left", null);
    assertThat(ended.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(f.state()).isEqualTo(Fill.State.FAILED);
    assertThatThrownBy(() -> f.result().get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(FillFailedException.class);
    assertThat(parts()).isZero();
  }

  @Test
  void beyondMaxSize_theLeastRecentlyUsedGo() throws Exception {
    open(2 * MIB);
    byte[] a = bytes(700_000, 6);
    byte[] b = bytes(700_000, 7);
    byte[] c = bytes(700_000, 8);
    fill(digest(a), a);
    fill(digest(b), b);
    store.lookup(digest(a));
    fill(digest(c), c);
    assertThat(store.lookup(digest(b))).isNull();
    assertThat(file(digest(b))).doesNotExist();
    assertThat(store.lookup(digest(a))).isNotNull();
    assertThat(store.lookup(digest(c))).isNotNull();
    assertThat(meters.get("turnstile.blobcache.evictions").counter().count()).isEqualTo(1);
    assertThat(meters.get("turnstile.blobcache.size").gauge().value()).isEqualTo(1_400_000);
  }

  @Test
  void aBlobLargerThanTheCache_isNotKept() throws Exception {
    open(MIB);
    byte[] big = bytes((int) MIB + 1, 9);
    assertThat(fill(digest(big), big)).isNull();
    assertThat(file(digest(big))).doesNotExist();
    assertThat(parts()).isZero();
  }

  @Test
  void atStart_theIndexIsRebuilt_oldestFirst_unfinishedDownloadsDeleted_strangersLeftAlone() throws Exception {
    open(10 * MIB);
    byte[] a = bytes(1000, 10);
    byte[] b = bytes(1000, 11);
    fill(digest(a), a);
    fill(digest(b), b);
    store.close();
    Files.setLastModifiedTime(file(digest(b)), FileTime.fromMillis(System.currentTimeMillis() - 3_600_000));
    Files.write(dir.resolve("tmp").resolve("abc.123.part"), new byte[10]);
    Files.write(dir.resolve("sha256").resolve("notes.txt"), new byte[10]);

    open(1500);
    assertThat(parts()).isZero();
    assertThat(dir.resolve("sha256").resolve("notes.txt")).exists();
    assertThat(store.lookup(digest(b))).as("older, so evicted first when the limit shrank").isNull();
    BlobStore.Entry e = store.lookup(digest(a));
    assertThat(e).isNotNull();
    assertThat(store.verified(e).get(5, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void aFileFoundCorruptAtStart_isDroppedWhenChecked() throws Exception {
    open(10 * MIB);
    byte[] a = bytes(1000, 12);
    fill(digest(a), a);
    store.close();
    byte[] corrupt = a.clone();
    corrupt[500] ^= 1;
    Files.write(file(digest(a)), corrupt);
    open(10 * MIB);
    BlobStore.Entry e = store.lookup(digest(a));
    assertThat(store.verified(e).get(5, TimeUnit.SECONDS)).isFalse();
    assertThat(file(digest(a))).doesNotExist();
    assertThat(store.lookup(digest(a))).isNull();
  }

  @Test
  void aSecondProcess_cannotOpenTheSameDirectory() throws Exception {
    open(10 * MIB);
    // FileLock is per process: a second open in this JVM sees an overlapping lock.
    assertThatThrownBy(() -> BlobStore.open("vendor", dir, MIB, io, new SimpleMeterRegistry()))
        .isInstanceOf(Exception.class);
  }

  @Test
  void onlySha256Digests_areCacheable() {
    assertThat(BlobStore.cacheable("sha256:" + "a".repeat(64))).isTrue();
    assertThat(BlobStore.cacheable("sha512:" + "a".repeat(128))).isFalse();
    assertThat(BlobStore.cacheable("sha256:" + "A".repeat(64))).isFalse();
    assertThat(BlobStore.cacheable("sha256:../../etc")).isFalse();
  }
}
