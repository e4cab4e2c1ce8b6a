package io.turnstile.proxy.blobs;

import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One upstream's blobs on local disk, named by their SHA-256: {@code <directory>/sha256/ab/abcd…}.
 * A file is there only once its content was verified against its name and flushed to disk, then
 * moved into place in one atomic rename; downloads under way live in {@code <directory>/tmp}, which
 * is emptied at start, so a download cut short (a crash, {@code kill -9}) leaves nothing that can be
 * served. The index of what is there is held in memory ({@code BlobIndex}), rebuilt from the
 * directory at start ({@code BlobScan}), and bounded by {@code maxSize} with least-recently-used
 * eviction (the order survives a restart through the files' modification times, refreshed at most
 * every {@link #TOUCH_EVERY_MILLIS}).
 *
 * <p>Files found at start are checked against their digest the first time they are served; a
 * served file whose size differs from the index's is dropped; either way the caller fetches the blob
 * again. Downloads of one blob are single-flight: see {@link #claim}. All file work runs on the
 * {@code io} executor, never on an event loop, except opening a file to serve it. A lock file keeps
 * two processes from sharing a directory. Thread-safe.
 */
public final class BlobStore implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BlobStore.class);
  private static final Pattern HEX = Pattern.compile("[a-f0-9]{64}");
  static final long TOUCH_EVERY_MILLIS = 10 * 60 * 1000;

  private final String upstream;
  private final Path blobs;
  private final Path tmp;
  private final long maxSize;
  private final Executor io;
  private final FileChannel lockFile;
  private final BlobCacheMetrics metrics;
  private final BlobIndex index;
  private final Map<String, Fill> fills = new ConcurrentHashMap<>();
  /** Computes SHA-256; null for the JDK's providers. */
  private final Provider digests;

  private BlobStore(String upstream, Path directory, long maxSize, Executor io, FileChannel lockFile,
      MeterRegistry meters, Provider digests) {
    this.upstream = upstream;
    this.digests = digests;
    this.blobs = directory.resolve("sha256");
    this.tmp = directory.resolve("tmp");
    this.maxSize = maxSize;
    this.io = io;
    this.lockFile = lockFile;
    this.index = new BlobIndex(maxSize);
    this.metrics = new BlobCacheMetrics(meters, upstream, index::bytes, index::count);
  }

  /**
   * Opens (creating when missing) the cache in {@code directory}: takes its lock, deletes any
   * download left unfinished and rebuilds the index from the files there.
   *
   * @param io runs every file operation
   * @throws IOException when the directory cannot be used, or another process holds it
   */
  public static BlobStore open(String upstream, Path directory, long maxSize, Executor io, MeterRegistry meters)
      throws IOException {
    return open(upstream, directory, maxSize, io, meters, null);
  }

  /**
   * As {@link #open(String, Path, long, Executor, MeterRegistry)}, hashing with {@code digests}
   * (null for the JDK's providers).
   */
  public static BlobStore open(String upstream, Path directory, long maxSize, Executor io, MeterRegistry meters,
      Provider digests) throws IOException {
    Files.createDirectories(directory);
    FileChannel lock = FileChannel.open(directory.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock held;
    try {
      held = lock.tryLock();
    } catch (IOException | RuntimeException e) {
      lock.close();
      throw e;
    }
    if (held == null) {
      lock.close();
      throw new IOException("blob cache directory " + directory + " is in use by another process");
    }
    BlobStore store = new BlobStore(upstream, directory, maxSize, io, lock, meters, digests);
    try {
      store.rebuild();
    } catch (IOException | RuntimeException e) {
      store.close();
      throw e;
    }
    return store;
  }

  private void rebuild() throws IOException {
    long start = System.nanoTime();
    BlobScan.Result found = BlobScan.read(blobs, tmp);
    List<Entry> evicted = index.load(found.oldestFirst());
    delete(evicted);
    log.info("blob cache of upstream {}: {} blobs, {} bytes in {} ({} unfinished downloads deleted), read in {} ms;"
        + " SHA-256 by {}", upstream, found.oldestFirst().size() - evicted.size(), index.bytes(), blobs.getParent(),
        found.leftovers(), (System.nanoTime() - start) / 1_000_000, sha256().getProvider().getName());
  }

  /** The upstream's name. */
  public String upstream() {
    return upstream;
  }

  public BlobCacheMetrics metrics() {
    return metrics;
  }

  /** The most bytes kept. */
  public long maxSize() {
    return maxSize;
  }

  /** Whether blobs named {@code digest} can be kept: SHA-256 digests only. */
  public static boolean cacheable(String digest) {
    return hexOf(digest) != null;
  }

  /** The blob named {@code digest} as the index knows it, now the most recently used; null when absent. */
  public Entry lookup(String digest) {
    String hex = hexOf(digest);
    if (hex == null) {
      return null;
    }
    Entry e = index.get(hex);
    if (e != null) {
      long now = System.currentTimeMillis();
      if (now - e.touched > TOUCH_EVERY_MILLIS) {
        e.touched = now;
        io.execute(() -> {
          try {
            Files.setLastModifiedTime(e.path, FileTime.fromMillis(now));
          } catch (IOException ignored) {
            // Gone meanwhile: the next read finds out.
          }
        });
      }
    }
    return e;
  }

  /**
   * Completes with whether {@code e}'s file holds what its name says. Files written by this process
   * are known good; one found at start is hashed once (on the io executor), and dropped when it does
   * not match.
   */
  public CompletableFuture<Boolean> verified(Entry e) {
    if (e.verified) {
      return CompletableFuture.completedFuture(true);
    }
    synchronized (e) {
      if (e.verifying == null) {
        e.verifying = CompletableFuture.supplyAsync(() -> check(e), io);
      }
      return e.verifying;
    }
  }

  private boolean check(Entry e) {
    try (FileChannel in = FileChannel.open(e.path, StandardOpenOption.READ)) {
      MessageDigest sha = sha256();
      ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
      long total = 0;
      while (in.read(buf) >= 0) {
        buf.flip();
        total += buf.remaining();
        sha.update(buf);
        buf.clear();
      }
      String got = HexFormat.of().formatHex(sha.digest());
      if (got.equals(e.hex) && total == e.size) {
        e.verified = true;
        return true;
      }
      discard(e, got.equals(e.hex) ? "its size changed" : "its content does not match its digest (sha256:" + got + ")");
      return false;
    } catch (NoSuchFileException x) {
      discard(e, "its file is gone");
      return false;
    } catch (IOException x) {
      discard(e, "it cannot be read (" + x.getMessage() + ")");
      return false;
    }
  }

  /** Drops {@code e} from the index and deletes its file, saying why: it was found missing, truncated or corrupt. */
  public void discard(Entry e, String why) {
    if (index.remove(e)) {
      log.warn("blob cache of upstream {}: dropping sha256:{}: {}; it will be fetched again", upstream, e.hex, why);
      delete(List.of(e));
    }
  }

  /** What a caller that found no file should do: download it, wait for the download under way, or serve the file. */
  public sealed interface Claim permits Lead, Follow, Ready {}

  /** Download the blob into {@code fill}: nobody else is. */
  public record Lead(Fill fill) implements Claim {}

  /** Another caller is downloading it into {@code fill}: follow its file as it grows, or wait for it. */
  public record Follow(Fill fill) implements Claim {
    /** Completes with the entry once the download lands, or fails with {@link FillFailedException}. */
    public CompletableFuture<Entry> result() {
      return fill.result();
    }
  }

  /** It landed meanwhile. */
  public record Ready(Entry entry) implements Claim {}

  /**
   * Single flight: the first caller for a blob not in the index leads its download, the others
   * follow it until it lands or fails.
   *
   * @throws IllegalArgumentException when {@code digest} is not {@link #cacheable}
   */
  public Claim claim(String digest) {
    String hex = hexOf(digest);
    if (hex == null) {
      throw new IllegalArgumentException("not a sha256 digest: " + digest);
    }
    Fill mine = new Fill(this, digest, hex);
    Fill under = fills.putIfAbsent(hex, mine);
    if (under != null) {
      under.followed();
      return new Follow(under);
    }
    // It may have landed between the caller's lookup and now: a fill ends by entering the index
    // before it leaves the map.
    Entry landed = index.get(hex);
    if (landed != null) {
      fills.remove(hex, mine);
      return new Ready(landed);
    }
    return new Lead(mine);
  }

  // ---- for Fill, on the io executor ----

  Executor io() {
    return io;
  }

  Path tmp() {
    return tmp;
  }

  /** Moves a verified, flushed download into place and indexes it; evicts beyond maxSize. */
  Entry land(Fill fill, Path part, long size) throws IOException {
    Path to = blobs.resolve(fill.hex().substring(0, 2)).resolve(fill.hex());
    Files.createDirectories(to.getParent());
    Files.move(part, to, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Entry e = new Entry(fill.hex(), to, size, true, System.currentTimeMillis());
    List<Entry> evicted = index.put(e);
    fills.remove(fill.hex(), fill);
    metrics.stored();
    if (!evicted.isEmpty()) {
      metrics.evicted(evicted.size());
      delete(evicted);
    }
    return e;
  }

  void failed(Fill fill) {
    fills.remove(fill.hex(), fill);
  }

  /** Deletes files; a file being served stays readable to whoever has it open. */
  private void delete(List<Entry> entries) {
    for (Entry e : entries) {
      try {
        Files.deleteIfExists(e.path);
      } catch (IOException x) {
        log.warn("blob cache of upstream {}: cannot delete {}: {}", upstream, e.path, x.toString());
      }
    }
  }

  /** A SHA-256 from the store's provider: in native code where the server found it (see {@link BlobStores}). */
  MessageDigest sha256() {
    try {
      return digests != null ? MessageDigest.getInstance("SHA-256", digests) : MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String hexOf(String digest) {
    if (digest == null || !digest.startsWith("sha256:") || digest.length() != 71) {
      return null;
    }
    String hex = digest.substring(7);
    return HEX.matcher(hex).matches() ? hex : null;
  }

  /** Releases the directory's lock. Downloads under way are left to fail. */
  @Override
  public void close() {
    try {
      lockFile.close();
    } catch (IOException ignored) {
      // Released with the process anyway.
    }
  }

  /** A blob in the index. */
  public static final class Entry {
    private final String hex;
    private final Path path;
    private final long size;
    private volatile boolean verified;
    private volatile long touched;
    /** Guarded by {@code this}. */
    private CompletableFuture<Boolean> verifying;

    Entry(String hex, Path path, long size, boolean verified, long touched) {
      this.hex = hex;
      this.path = path;
      this.size = size;
      this.verified = verified;
      this.touched = touched;
    }

    String hex() {
      return hex;
    }

    public String digest() {
      return "sha256:" + hex;
    }

    public Path path() {
      return path;
    }

    public long size() {
      return size;
    }
  }
}
