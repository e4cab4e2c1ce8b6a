package io.turnstile.proxy.blobs;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.EventExecutor;
import io.turnstile.proxy.oci.RegistryException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One blob being downloaded into the cache while it streams to the client that asked first. The
 * producer (that client's event loop) hands each piece of the body to {@link #write}, which hashes
 * it there and queues it for the disk; the io executor writes the queue to a file in the cache's
 * {@code tmp} directory in order. {@link #finish} compares the SHA-256 with the digest: only a match
 * is flushed to disk and moved into place, and only then does {@link #result()} complete, so those
 * waiting are served the file. A mismatch, {@link #abort} or a disk failure deletes the partial file
 * and fails the result, and says why in the log.
 *
 * <p>The producer's memory is bounded: past {@link #MAX_QUEUED} bytes not yet on disk, {@link
 * #whenCaughtUp} holds the next upstream read until the disk has caught up. The producer's methods
 * are not thread-safe: call them from one thread.
 */
public final class Fill {
  private static final Logger log = LoggerFactory.getLogger(Fill.class);
  /** Bytes queued for the disk beyond which the producer waits. */
  static final long MAX_QUEUED = 16L << 20;
  private static final Object COMMIT = new Object();
  private static final Object ABORT = new Object();

  private final BlobStore store;
  private final String digest;
  private final String hex;
  private final MessageDigest sha = BlobStore.sha256();
  private final CompletableFuture<BlobStore.Entry> result = new CompletableFuture<>();
  private final Queue<Object> queue = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean draining = new AtomicBoolean();
  private final AtomicLong queued = new AtomicLong();
  private final AtomicReference<Runnable> onCaughtUp = new AtomicReference<>();
  // Producer side.
  private long received;
  private boolean ended;
  private String why;
  private RegistryException answer;
  private boolean mismatch;
  // io side.
  private Path part;
  private FileChannel out;
  private long written;
  private IOException diskFailure;

  Fill(BlobStore store, String digest, String hex) {
    this.store = store;
    this.digest = digest;
    this.hex = hex;
  }

  String hex() {
    return hex;
  }

  /** Completes with the kept blob's entry, or fails with {@link FillFailedException}. */
  public CompletableFuture<BlobStore.Entry> result() {
    return result;
  }

  /** Hashes {@code data} and queues it for the disk; the caller keeps its own reference. */
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
    if (data.nioBufferCount() == 1) {
      sha.update(data.nioBuffer());
    } else {
      for (ByteBuffer b : data.nioBuffers()) {
        sha.update(b);
      }
    }
    queued.addAndGet(n);
    queue.add(data.retainedDuplicate());
    drainSoon();
  }

  /** Whether the download is still going: neither finished nor abandoned. */
  public boolean active() {
    return !ended;
  }

  /** Whether the disk is far enough behind that the producer should wait before reading more. */
  public boolean behind() {
    return queued.get() > MAX_QUEUED;
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
   * The body is complete: whether its SHA-256 matches the digest. On a match the file is flushed and
   * moved into place on the io executor; on a mismatch nothing is kept.
   */
  public boolean finish() {
    if (ended) {
      return false;
    }
    String got = HexFormat.of().formatHex(sha.digest());
    if (!got.equals(hex)) {
      store.metrics().mismatched();
      mismatch = true;
      abort("the upstream sent content whose digest is sha256:" + got + " (" + received + " bytes)", null);
      return false;
    }
    ended = true;
    queue.add(COMMIT);
    drainSoon();
    return true;
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
    queue.add(ABORT);
    drainSoon();
  }

  private void drainSoon() {
    if (draining.compareAndSet(false, true)) {
      store.io().execute(this::drain);
    }
  }

  private void drain() {
    do {
      Object item;
      while ((item = queue.poll()) != null) {
        if (item == COMMIT) {
          commit();
        } else if (item == ABORT) {
          cleanUp();
          if (mismatch) {
            log.warn("blob cache of upstream {}: not keeping {}: {}", store.upstream(), digest, why);
          } else {
            store.metrics().abandoned();
            if (answer == null) {
              log.info("blob cache of upstream {}: not keeping {}: {}", store.upstream(), digest, why);
            }
          }
          result.completeExceptionally(new FillFailedException(why, answer));
        } else {
          toDisk((ByteBuf) item);
        }
      }
      draining.set(false);
    } while (!queue.isEmpty() && draining.compareAndSet(false, true));
  }

  private void toDisk(ByteBuf data) {
    int n = data.readableBytes();
    try {
      if (diskFailure == null && !result.isDone()) {
        if (out == null) {
          openPart();
        }
        ByteBuffer[] buffers = data.nioBuffers();
        long left = n;
        while (left > 0) {
          left -= out.write(buffers);
        }
        written += n;
      }
    } catch (IOException e) {
      diskFailure = e;
    } finally {
      data.release();
      if (queued.addAndGet(-n) <= MAX_QUEUED / 2) {
        Runnable r = onCaughtUp.getAndSet(null);
        if (r != null) {
          r.run();
        }
      }
    }
  }

  /**
   * Opens a new part file under the cache's {@code tmp}, making the directory again when it is gone:
   * the cache directory may be emptied at any time, Turnstile running.
   */
  private void openPart() throws IOException {
    part = store.tmp().resolve(hex + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".part");
    try {
      out = FileChannel.open(part, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    } catch (NoSuchFileException e) {
      Files.createDirectories(part.getParent());
      out = FileChannel.open(part, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }
  }

  private void commit() {
    try {
      if (diskFailure != null) {
        throw diskFailure;
      }
      if (out == null) {
        // An empty blob: nothing was written.
        openPart();
      }
      out.force(true);
      out.close();
      out = null;
      result.complete(store.land(this, part, written));
    } catch (IOException e) {
      cleanUp();
      store.metrics().abandoned();
      log.warn("blob cache of upstream {}: cannot keep {}: {}", store.upstream(), digest, e.toString());
      result.completeExceptionally(new FillFailedException("the disk failed: " + e.getMessage(), null));
    }
  }

  private void cleanUp() {
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
  }
}
