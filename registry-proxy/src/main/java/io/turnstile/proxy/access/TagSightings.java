package io.turnstile.proxy.access;

import io.turnstile.store.LicenseStore;
import io.turnstile.store.TagsSeen;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the store which tags Turnstile has seen upstream (in tag lists, manifests pulled by tag and
 * the {@link TagWatch}), so it can date each tag's first sighting. Called on event loops, it only
 * looks the tags up in memory and queues the ones the store has not dated; one thread of its own
 * writes them, so a pull never waits for the database and never takes a thread from the admin
 * API's pool. At most {@value #MAX_PENDING} tags wait at once; beyond that they are dropped, to
 * be seen again at the next list or watch. A sighting is dated when written, never earlier than
 * it was made.
 */
public final class TagSightings implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TagSightings.class);
  static final int MAX_PENDING = 100_000;

  private final LicenseStore store;
  private final ExecutorService writer;
  private final ConcurrentHashMap<String, Set<String>> pending = new ConcurrentHashMap<>();
  private final AtomicInteger pendingCount = new AtomicInteger();
  private final AtomicBoolean flushing = new AtomicBoolean();
  private volatile boolean failing;

  public TagSightings(LicenseStore store) {
    this.store = store;
    this.writer = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "turnstile-tag-sightings");
      t.setDaemon(true);
      return t;
    });
  }

  /** {@code tag} of {@code repository} (customer-facing name) exists upstream. */
  public void saw(String repository, String tag) {
    saw(repository, List.of(tag));
  }

  /** These tags of {@code repository} (customer-facing name) exist upstream. */
  public void saw(String repository, Collection<String> tags) {
    TagsSeen seen = store.snapshot().tagsSeen();
    Set<String> queue = null;
    for (String tag : tags) {
      if (!seen.knows(repository, tag)) {
        if (pendingCount.get() >= MAX_PENDING) {
          break;
        }
        if (queue == null) {
          queue = pending.computeIfAbsent(repository, r -> ConcurrentHashMap.newKeySet());
        }
        if (queue.add(tag)) {
          pendingCount.incrementAndGet();
        }
      }
    }
    if (queue != null && flushing.compareAndSet(false, true)) {
      try {
        writer.execute(this::flush);
      } catch (java.util.concurrent.RejectedExecutionException closed) {
        flushing.set(false);
      }
    }
  }

  private void flush() {
    flushing.set(false);
    for (Map.Entry<String, Set<String>> e : pending.entrySet()) {
      List<String> tags = new ArrayList<>();
      for (var it = e.getValue().iterator(); it.hasNext(); ) {
        tags.add(it.next());
        it.remove();
        pendingCount.decrementAndGet();
      }
      if (tags.isEmpty()) {
        continue;
      }
      try {
        int added = store.recordTagsSeen(e.getKey(), tags);
        if (failing) {
          failing = false;
          log.info("recording first sightings of tags works again");
        }
        if (added > 0) {
          log.debug("first sightings of {} tags of {}", added, e.getKey());
        }
      } catch (RuntimeException ex) {
        if (!failing) {
          failing = true;
          log.warn("cannot record first sightings of tags of {} ({}); they are tried again when next seen",
              e.getKey(), ex.getMessage());
        }
      }
    }
  }

  /** Writes what is queued, for tests and a clean stop; waits at most {@code millis}. */
  public void drain(long millis) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (pendingCount.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    // The last batch may still be being written.
    java.util.concurrent.Future<?> done = writer.submit(() -> { });
    try {
      done.get(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException ignored) {
      // best effort
    }
  }

  @Override
  public void close() {
    writer.shutdown();
    try {
      writer.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
