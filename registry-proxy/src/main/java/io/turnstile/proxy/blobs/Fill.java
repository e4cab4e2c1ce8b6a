package io.turnstile.proxy.blobs;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.EventExecutor;
import io.turnstile.proxy.oci.RegistryException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One blob being downloaded into the cache while it streams to the client that asked first. The
 * producer (that client's event loop) hands each piece of the body to {@link #write}, which queues
 * it for two {@link Lane}s on the io executor, side by side: one hashes (SHA-256, natively where it
 * can: see {@link BlobStores}), one writes a file in the cache's {@code tmp} directory; no event loop
 * does either. {@link #finish} completes with whether the SHA-256 matched the digest as soon as the
 * last piece is hashed; once the disk has it all too, only a match is flushed and moved into place,
 * and only then does {@link #result()} complete. A mismatch, {@link #abort} or a disk failure
 * deletes the partial file and fails the result, and says why in the log.
 *
 * <p>Others asking for the blob meanwhile follow the growing file ({@link #published}, {@link
 * #awaitProgress}): they may read what is {@linkplain #published published} of {@link #part()}, which
 * is every byte on disk except those of the piece written last, until the digest has matched. So a
 * follower never holds the whole of a blob that failed verification, just as the first client
 * never gets its last piece then.
 *
 * <p>The producer's memory is bounded: past {@link #MAX_QUEUED} bytes not yet hashed or not yet on
 * disk, {@link #whenCaughtUp} holds the next upstream read until both lanes have caught up. The
 * producer's methods are not thread-safe: call them from one thread; the followers' are.
 */
public final class Fill {
  private static final Logger log = LoggerFactory.getLogger(Fill.class);
  /** Bytes queued for a lane beyond which the producer waits. */
  static final long MAX_QUEUED = 16L << 20;
  /** Followers are woken when this many more bytes are published, or the download ends. */
  static final long PROGRESS_STEP = 256 << 10;
  private static final Object END = new Object();
  private static final Object ABORT = new Object();

  /** Where a download stands, for its followers. */
  public enum State {
    /** Bytes are still arriving. */
    RUNNING,
    /** The digest matched and every byte is on disk and published. */
    COMPLETE,
    /** Given up: what was published will never be whole. */
    FAILED
  }

  private final BlobStore store;
  private final String digest;
  private final String hex;
  private final CompletableFuture<BlobStore.Entry> result = new CompletableFuture<>();
  private final CompletableFuture<Boolean> verdict = new CompletableFuture<>();
  private final CompletableFuture<Void> onDisk = new CompletableFuture<>();
  private final Lane hashing;
  private final Lane disk;
  private final AtomicReference<Runnable> onCaughtUp = new AtomicReference<>();
  private final Queue<Runnable> followers = new ConcurrentLinkedQueue<>();
  /** Whether anyone has followed this download: then it goes on when its first client leaves. */
  private volatile boolean followed;
  // Producer side.
  private long received;
  private boolean ended;
  private String why;
  private RegistryException answer;
  // For followers: written on the io side, read anywhere.
  private volatile long length = -1;
  private volatile Path part;
  private volatile long published;
  private volatile State state = State.RUNNING;
  // The hashing lane's.
  private final MessageDigest sha;
  // The disk lane's.
  private FileChannel out;
  private long written;
  private long woken;
  private IOException diskFailure;

  Fill(BlobStore store, String digest, String hex) {
    this.store = store;
    this.digest = digest;
    this.hex = hex;
    this.sha = store.sha256();
    this.hashing = new Lane(store.io(), this::hash, this::caughtUp);
    this.disk = new Lane(store.io(), this::toDisk, this::caughtUp);
  }

  String hex() {
    return hex;
  }

  /** Completes with the kept blob's entry, or fails with {@link FillFailedException}. */
  public CompletableFuture<BlobStore.Entry> result() {
    return result;
  }

  /** The upstream answered 200 with {@code length} bytes to come (-1 when it did not say). */
  public void started(long length) {
    this.length = length;
  }

  /** Queues {@code data} to be hashed and written; the caller keeps its own reference. */
  public void write(ByteBuf data) {
    if (ended) {
      return;
    }
    int n = data.readableBytes();
    if (n == 0) {
      return;
    }
    received += n;
    if (received > store.maxSize()) {
      abort("it is larger than the cache's maxSize", null);
      return;
    }
    hashing.add(data.retainedDuplicate());
    disk.add(data.retainedDuplicate());
  }

  /** Notes that another request follows this download (the store says so when it hands out a follow). */
  void followed() {
    followed = true;
  }

  /** Whether another request has followed this download since it started. */
  public boolean hasFollowers() {
    return followed;
  }

  /** Whether the download is still going: neither finished nor abandoned. */
  public boolean active() {
    return !ended;
  }

  /** Whether the disk is far enough behind that the producer should wait before reading more. */
  public boolean behind() {
    return hashing.queued() > MAX_QUEUED || disk.queued() > MAX_QUEUED;
  }

  /** Runs {@code readMore} on {@code loop} once the disk is no longer {@link #behind}: at once when it is not. */
  public void whenCaughtUp(EventExecutor loop, Runnable readMore) {
    if (!behind()) {
      readMore.run();
      return;
    }
    onCaughtUp.set(() -> loop.execute(readMore));
    // The disk may have caught up between the check and the set.
    if (!behind()) {
      Runnable r = onCaughtUp.getAndSet(null);
      if (r != null) {
        r.run();
      }
    }
  }

  /**
   * The body is complete. Completes, on the io executor once it has hashed every piece, with
   * whether the SHA-256 matches the digest; on a match the file is then flushed and moved into
   * place, on a mismatch nothing is kept. False at once when the download was already given up.
   */
  public CompletableFuture<Boolean> finish() {
    if (ended) {
      return CompletableFuture.completedFuture(false);
    }
    ended = true;
    hashing.add(END);
    disk.add(END);
    // Settled on an io thread of its own: flushing must hold up neither lane's thread nor the
    // first client's last piece, which waits for the verdict alone.
    verdict.thenAcceptBothAsync(onDisk, (matched, v) -> settle(matched), store.io());
    return verdict;
  }

  /**
   * Gives up: nothing is kept and the result fails. A later call, or one after {@link #finish},
   * does nothing.
   *
   * @param answer the upstream's refusal for those waiting to answer with; null when they should ask again
   */
  public void abort(String reason, RegistryException answer) {
    if (ended) {
      return;
    }
    ended = true;
    this.why = reason;
    this.answer = answer;
    hashing.add(ABORT);
    disk.add(ABORT);
  }

  // ---- for followers, on any thread ----

  /** The body's length as the upstream announced it; -1 when it did not. Known once anything is published. */
  public long length() {
    return length;
  }

  /** The partial file; null until anything is published. It is renamed once the blob lands. */
  public Path part() {
    return part;
  }

  /** Bytes of {@link #part()} that followers may send: on disk, and never the whole of a blob not yet verified. */
  public long published() {
    return published;
  }

  public State state() {
    return state;
  }

  /**
   * Runs {@code wake} once, on the io executor or the caller's thread, when more than {@code seen}
   * bytes are published (waking at most every {@link #PROGRESS_STEP} bytes) or the download ended:
   * at once when that is so already. {@code wake} must not block.
   */
  public void awaitProgress(long seen, Runnable wake) {
    followers.add(wake);
    // Progress may have been published between the caller's look and the add.
    if ((published > seen || state != State.RUNNING) && followers.remove(wake)) {
      wake.run();
    }
  }

  /** Wakes those waiting now; one that starts waiting meanwhile waits for the next progress. */
  private void wakeFollowers() {
    Runnable r;
    for (int n = followers.size(); n > 0 && (r = followers.poll()) != null; n--) {
      r.run();
    }
  }

  // ---- io side: two lanes side by side, then settling once both are done ----

  private void caughtUp() {
    if (hashing.queued() <= MAX_QUEUED / 2 && disk.queued() <= MAX_QUEUED / 2) {
      Runnable r = onCaughtUp.getAndSet(null);
      if (r != null) {
        r.run();
      }
    }
  }

  /** The hashing lane: the verdict comes as soon as the last piece is hashed, whatever the disk does. */
  private void hash(Object item) {
    if (item instanceof ByteBuf data) {
      for (ByteBuffer b : data.nioBuffers()) {
        sha.update(b);
      }
    } else if (item == END) {
      String got = HexFormat.of().formatHex(sha.digest());
      if (!got.equals(hex)) {
        why = "the upstream sent content whose digest is sha256:" + got + " (" + received + " bytes)";
        store.metrics().mismatched();
        log.warn("blob cache of upstream {}: not keeping {}: {}", store.upstream(), digest, why);
      }
      verdict.complete(got.equals(hex));
    }
  }

  /** The disk lane: writes each piece and publishes it to followers once the next is written. */
  private void toDisk(Object item) {
    if (item == END) {
      onDisk.complete(null);
      return;
    }
    if (item == ABORT) {
      store.metrics().abandoned();
      if (answer == null) {
        log.info("blob cache of upstream {}: not keeping {}: {}", store.upstream(), digest, why);
      }
      fail();
      return;
    }
    ByteBuf data = (ByteBuf) item;
    if (diskFailure != null) {
      return;
    }
    try {
      if (out == null) {
        openPart();
      }
      ByteBuffer[] buffers = data.nioBuffers();
      long n = data.readableBytes();
      long left = n;
      while (left > 0) {
        left -= out.write(buffers);
      }
      // The piece written last stays unpublished until the next one or the digest's match: it may be the end.
      published = written;
      written += n;
      if (published - woken >= PROGRESS_STEP || (woken == 0 && published > 0)) {
        woken = published;
        wakeFollowers();
      }
    } catch (IOException e) {
      diskFailure = e;
    }
  }

  /**
   * Opens a new part file under the cache's {@code tmp}, making the directory again when it is gone:
   * the cache directory may be emptied at any time, Turnstile running.
   */
  private void openPart() throws IOException {
    Path p = store.tmp().resolve(hex + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".part");
    try {
      out = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    } catch (NoSuchFileException e) {
      Files.createDirectories(p.getParent());
      out = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }
    part = p;
  }

  /** Both lanes are done: keeps a verified blob, flushed and moved into place, or nothing. */
  private void settle(boolean matched) {
    if (!matched) {
      fail();
      return;
    }
    try {
      if (diskFailure == null && out == null) {
        // An empty blob: nothing was written.
        openPart();
      }
    } catch (IOException e) {
      diskFailure = e;
    }
    if (diskFailure == null) {
      published = written;
      state = State.COMPLETE;
      wakeFollowers();
    }
    try {
      if (diskFailure != null) {
        throw diskFailure;
      }
      out.force(true);
      out.close();
      out = null;
      result.complete(store.land(this, part, written));
    } catch (IOException e) {
      why = "the disk failed: " + e.getMessage();
      store.metrics().abandoned();
      log.warn("blob cache of upstream {}: cannot keep {}: {}", store.upstream(), digest, e.toString());
      fail();
    }
  }

  /** Nothing is kept: deletes the partial file, tells followers that have not got it all, fails the result. */
  private void fail() {
    if (state == State.RUNNING) {
      state = State.FAILED;
    }
    verdict.complete(false);
    wakeFollowers();
    store.failed(this);
    try {
      if (out != null) {
        out.close();
        out = null;
      }
      if (part != null) {
        Files.deleteIfExists(part);
      }
    } catch (IOException e) {
      log.warn("blob cache of upstream {}: cannot delete {}: {}", store.upstream(), part, e.toString());
    }
    result.completeExceptionally(new FillFailedException(why, answer));
  }
}
