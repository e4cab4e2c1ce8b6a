package io.turnstile.proxy.access;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.netty.channel.EventLoop;
import io.turnstile.config.CacheConfig;
import io.turnstile.proxy.upstream.UpstreamTags;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The upstream's tag list of each repository, for deciding digests under range grants (which tags
 * a range grants is known only from the list). A list is trusted for {@code cache.tagTtl}; a
 * caller that found nothing in it can ask for a {@link #refreshed} one, so a release pushed a
 * moment ago is pullable at once, while a flood of denied digests lists the upstream at most once
 * per {@link #MIN_AGE} per repository. A tag a pull resolved is added to the remembered list, so
 * the blobs of a release pulled by tag are found without listing again. When listing fails and the
 * upstream keeps manifests on disk, the tags it resolved within {@code cache.staleIfError} stand in
 * for the list (each still resolved, or answered stale, by {@link ClosureCache}), and the next
 * {@link #refreshed} call lists again.
 */
final class TagLists {
  static final Duration MIN_AGE = Duration.ofSeconds(1);

  private record Listed(List<String> tags, long atNanos) {}

  private final UpstreamTags upstream;
  private final AsyncCache<String, Listed> lists;
  private final KeptManifests kept;

  TagLists(UpstreamTags upstream, CacheConfig config, KeptManifests kept) {
    this.upstream = upstream;
    this.kept = kept;
    this.lists = Caffeine.newBuilder().expireAfterWrite(config.tagTtl()).maximumSize(10_000).buildAsync();
  }

  /** The tags of {@code source}, as listed within the last {@code cache.tagTtl}. */
  CompletableFuture<List<String>> tags(EventLoop loop, ClosureCache.Source source) {
    return lists.get(source.key(), (k, e) -> list(loop, source)).thenApply(Listed::tags);
  }

  /** The tags of {@code source} listed now, unless the last list is younger than {@link #MIN_AGE}. */
  CompletableFuture<List<String>> refreshed(EventLoop loop, ClosureCache.Source source) {
    CompletableFuture<Listed> known = lists.getIfPresent(source.key());
    if (known != null && (!known.isDone()
        || (!known.isCompletedExceptionally() && System.nanoTime() - known.join().atNanos() < MIN_AGE.toNanos()))) {
      return known.thenApply(Listed::tags);
    }
    CompletableFuture<Listed> fresh = list(loop, source);
    lists.put(source.key(), fresh);
    return fresh.thenApply(Listed::tags);
  }

  /** The tags of {@code source} listed now, whatever is remembered: what a client's {@code tags/list} shows. */
  CompletableFuture<List<String>> listNow(EventLoop loop, ClosureCache.Source source) {
    CompletableFuture<Listed> fresh = list(loop, source);
    lists.put(source.key(), fresh);
    return fresh.thenApply(Listed::tags);
  }

  /**
   * {@code tag} exists at {@code source} (a pull by tag just resolved it): a remembered list that
   * lacks it gains it, so the pull's blobs are found under a range without listing again.
   */
  void exists(ClosureCache.Source source, String tag) {
    CompletableFuture<Listed> known = lists.getIfPresent(source.key());
    if (known != null && known.isDone() && !known.isCompletedExceptionally() && !known.join().tags().contains(tag)) {
      Listed l = known.join();
      List<String> more = new ArrayList<>(l.tags());
      more.add(tag);
      lists.asMap().replace(source.key(), known, CompletableFuture.completedFuture(new Listed(List.copyOf(more), l.atNanos())));
    }
  }

  private CompletableFuture<Listed> list(EventLoop loop, ClosureCache.Source source) {
    return upstream.tags(loop, source.upstream(), source.creds(), source.repository())
        .thenApply(tags -> new Listed(tags, System.nanoTime()))
        .exceptionallyCompose(err -> !kept.servesStale(source) ? CompletableFuture.failedFuture(err)
            : kept.tagsSeen(loop, source).thenApply(seen -> {
              if (seen.isEmpty()) {
                throw err instanceof CompletionException ce ? ce : new CompletionException(err);
              }
              // Old enough that the next refreshed() lists again.
              return new Listed(seen, System.nanoTime() - MIN_AGE.toNanos());
            }));
  }
}
