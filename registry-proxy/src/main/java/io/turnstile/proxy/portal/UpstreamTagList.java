package io.turnstile.proxy.portal;

import io.turnstile.config.RepositoryConfig;
import io.turnstile.config.UpstreamConfig;
import io.turnstile.proxy.upstream.UpstreamTags;
import io.turnstile.store.UpstreamCredentials;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upstream's tag lists the portal needs to show what a range grants. The portal renders on the
 * event loop and never waits: {@link #known} answers what was listed last (or null when nothing is
 * yet) and starts a listing in the background when the list is missing or older than {@link #TTL}.
 * When a listing brings a different list, {@code changed} runs, so open portal pages render again
 * with the versions it shows. A list is read with the license's own upstream credentials when it
 * has them, as its pulls are.
 */
final class UpstreamTagList {
  private static final Logger log = LoggerFactory.getLogger(UpstreamTagList.class);
  /** How long a listed tag list is shown before it is listed again. */
  static final Duration TTL = Duration.ofSeconds(30);
  /** Most lists remembered; beyond that the memory starts over. */
  static final int MAX_ENTRIES = 2_000;

  /** What one list is kept under: where it is read from and as whom. */
  private record Key(String upstream, String repository, UpstreamCredentials creds) {}

  private static final class Entry {
    volatile List<String> tags;
    volatile String error;
    volatile long listedAt;
    volatile boolean listing;
  }

  /** One list as the portal shows it: the tags, or the error that kept them from being listed. */
  record Listed(List<String> tags, String error) {}

  private final UpstreamTags upstream;
  private final Map<String, UpstreamConfig> upstreams = new HashMap<>();
  private final Runnable changed;
  private final LongSupplier nanos;
  private final ConcurrentHashMap<Key, Entry> lists = new ConcurrentHashMap<>();

  UpstreamTagList(UpstreamTags upstream, List<UpstreamConfig> upstreams, Runnable changed) {
    this(upstream, upstreams, changed, System::nanoTime);
  }

  UpstreamTagList(UpstreamTags upstream, List<UpstreamConfig> upstreams, Runnable changed, LongSupplier nanos) {
    this.upstream = upstream;
    upstreams.forEach(u -> this.upstreams.put(u.name(), u));
    this.changed = changed;
    this.nanos = nanos;
  }

  /**
   * The tags of {@code repository} as last listed, read as {@code creds} (null: the upstream's
   * own); null while none was listed yet. Lists again in the background when due.
   */
  Listed known(RepositoryConfig repository, UpstreamCredentials creds) {
    UpstreamConfig u = upstreams.get(repository.upstream());
    if (u == null) {
      return new Listed(null, "no upstream named " + repository.upstream());
    }
    Key key = new Key(u.name(), repository.repository(), creds);
    Entry e = lists.get(key);
    if (e == null) {
      if (lists.size() >= MAX_ENTRIES) {
        lists.clear();
      }
      e = lists.computeIfAbsent(key, k -> new Entry());
    }
    long now = nanos.getAsLong();
    boolean due = e.tags == null && e.error == null || now - e.listedAt >= TTL.toNanos();
    if (due) {
      list(key, u, e);
    }
    return e.tags == null && e.error == null ? null : new Listed(e.tags, e.error);
  }

  private void list(Key key, UpstreamConfig u, Entry e) {
    synchronized (e) {
      if (e.listing) {
        return;
      }
      e.listing = true;
    }
    upstream.tags(null, u, key.creds(), key.repository()).whenComplete((tags, err) -> {
      boolean differs;
      synchronized (e) {
        e.listing = false;
        e.listedAt = nanos.getAsLong();
        if (err != null) {
          Throwable cause = err.getCause() != null ? err.getCause() : err;
          log.warn("portal: cannot list the tags of {} at {}: {}", key.repository(), key.upstream(), cause.getMessage());
          // A list already known stays shown; the error is shown only when there is none.
          differs = e.tags == null && !Objects.equals(e.error, cause.getMessage());
          if (e.tags == null) {
            e.error = cause.getMessage() == null ? cause.toString() : cause.getMessage();
          }
        } else {
          differs = !tags.equals(e.tags);
          e.tags = List.copyOf(tags);
          e.error = null;
        }
      }
      if (differs) {
        changed.run();
      }
    });
  }
}
