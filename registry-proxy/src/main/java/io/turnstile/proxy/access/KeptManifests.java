package io.turnstile.proxy.access;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoop;
import io.turnstile.config.UpstreamConfig;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The manifests and last seen tags Turnstile keeps on disk for the upstreams with {@code
 * cache.manifests} ({@link ManifestFiles}, in each one's blob cache directory), and how long a tag
 * last seen may still be answered with while its upstream fails ({@code cache.staleIfError}). File
 * work runs on {@code io}; what it finds is handed back on the caller's event loop. Keeping is best
 * effort: a write that fails is logged and the answer goes on.
 */
public final class KeptManifests {
  private static final Logger log = LoggerFactory.getLogger(KeptManifests.class);
  /** How often a tag answered again with the same digest is noted on disk again (its confirmation time). */
  static final Duration NOTE_EVERY = Duration.ofMinutes(1);
  /** None: no upstream keeps manifests. */
  public static final KeptManifests NONE = new KeptManifests(Map.of(), Runnable::run, Clock.systemUTC(), Duration.ZERO,
      null);

  private final Map<String, ManifestFiles> byUpstream;
  private final Executor io;
  private final Clock clock;
  private final Duration staleIfError;
  private final StaleAnswers stale;
  /** What was last noted of each tag, so that a popular tag costs one write a minute, not one a pull. */
  private final Cache<String, String> noted =
      Caffeine.newBuilder().expireAfterWrite(NOTE_EVERY).maximumSize(100_000).build();

  private KeptManifests(Map<String, ManifestFiles> byUpstream, Executor io, Clock clock, Duration staleIfError,
      StaleAnswers stale) {
    this.byUpstream = byUpstream;
    this.io = io;
    this.clock = clock;
    this.staleIfError = staleIfError;
    this.stale = stale;
  }

  /**
   * Opens the manifest files of every upstream with {@code cache.manifests} on, under its blob
   * cache directory (whose lock the blob cache already holds).
   *
   * @param io where file work runs (it blocks)
   * @param meters where answers from disk during outages are counted
   */
  public static KeptManifests open(List<UpstreamConfig> upstreams, Duration staleIfError, Executor io, Clock clock,
      MeterRegistry meters) throws IOException {
    Map<String, ManifestFiles> files = new HashMap<>();
    for (UpstreamConfig u : upstreams) {
      if (u.cache().manifests()) {
        files.put(u.name(), ManifestFiles.open(u.name(), u.cache().blobs().directory().resolve("manifests")));
      }
    }
    return files.isEmpty() ? NONE : new KeptManifests(Map.copyOf(files), io, clock, staleIfError,
        new StaleAnswers(meters, files.keySet()));
  }

  /** Where answers from disk during outages are counted and told. */
  StaleAnswers stale() {
    return stale;
  }

  /** Whether anything of {@code source}'s upstream may be answered from disk while it fails. */
  boolean servesStale(ClosureCache.Source source) {
    return !staleIfError.isZero() && byUpstream.containsKey(source.upstream().name());
  }

  Duration staleIfError() {
    return staleIfError;
  }

  /** The kept manifest with {@code digest}, checked against it; empty when none is kept. */
  CompletableFuture<Optional<ManifestFiles.Stored>> manifest(EventLoop loop, ClosureCache.Source source, String digest) {
    ManifestFiles files = byUpstream.get(source.upstream().name());
    if (files == null) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return onIo(loop, () -> files.read(digest), Optional.empty());
  }

  /** Keeps {@code m}, verified against its digest, for later pulls and outages. */
  void keep(ClosureCache.Source source, CachedManifest m) {
    ManifestFiles files = byUpstream.get(source.upstream().name());
    if (files != null) {
      later(source, () -> files.write(m.digest(), m.contentType(), m.body()));
    }
  }

  /**
   * The upstream just said {@code tag} has {@code digest} (empty: no such tag). Noted on disk
   * when it changed, and otherwise at most once per {@link #NOTE_EVERY}.
   */
  void saw(ClosureCache.Source source, String tag, Optional<String> digest) {
    ManifestFiles files = byUpstream.get(source.upstream().name());
    String key = source.key() + ":" + tag;
    String note = digest.orElse("");
    if (files != null && !note.equals(noted.getIfPresent(key))) {
      noted.put(key, note);
      Instant now = clock.instant();
      later(source, () -> {
        if (digest.isPresent()) {
          files.saw(source.key(), tag, digest.get(), now);
        } else {
          files.gone(source.key(), tag);
        }
      });
    }
  }

  /** The digest {@code tag} last had, if the upstream said so within {@code staleIfError}. */
  CompletableFuture<Optional<String>> lastSeen(EventLoop loop, ClosureCache.Source source, String tag) {
    ManifestFiles files = byUpstream.get(source.upstream().name());
    if (files == null || staleIfError.isZero()) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return onIo(loop, () -> files.seen(source.key(), tag).filter(this::recent).map(ManifestFiles.Seen::digest),
        Optional.empty());
  }

  /** The tags of {@code source} the upstream listed or resolved within {@code staleIfError}. */
  CompletableFuture<List<String>> tagsSeen(EventLoop loop, ClosureCache.Source source) {
    ManifestFiles files = byUpstream.get(source.upstream().name());
    if (files == null || staleIfError.isZero()) {
      return CompletableFuture.completedFuture(List.of());
    }
    return onIo(loop, () -> files.seen(source.key()).stream().filter(this::recent).map(ManifestFiles.Seen::tag).toList(),
        List.of());
  }

  private boolean recent(ManifestFiles.Seen seen) {
    return !seen.at().plus(staleIfError).isBefore(clock.instant());
  }

  private interface FileWork<T> {
    T run() throws IOException;
  }

  private interface FileChange {
    void run() throws IOException;
  }

  /** Runs {@code work} on {@code io} and completes on {@code loop}; a disk that fails reads as {@code none}. */
  private <T> CompletableFuture<T> onIo(EventLoop loop, FileWork<T> work, T none) {
    CompletableFuture<T> done = new CompletableFuture<>();
    try {
      io.execute(() -> {
        T found;
        try {
          found = work.run();
        } catch (IOException | RuntimeException e) {
          log.warn("manifest cache: cannot read: {}", e.toString());
          found = none;
        }
        T result = found;
        loop.execute(() -> done.complete(result));
      });
    } catch (RejectedExecutionException e) {
      done.complete(none);
    }
    return done;
  }

  private void later(ClosureCache.Source source, FileChange change) {
    try {
      io.execute(() -> {
        try {
          change.run();
        } catch (IOException | RuntimeException e) {
          log.warn("manifest cache of upstream {}: cannot write: {}", source.upstream().name(), e.toString());
        }
      });
    } catch (RejectedExecutionException e) {
      log.warn("manifest cache of upstream {}: too busy to write; skipped", source.upstream().name());
    }
  }
}
