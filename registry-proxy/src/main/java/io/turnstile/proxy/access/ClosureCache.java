package io.turnstile.proxy.access;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.turnstile.config.CacheConfig;
import io.turnstile.config.UpstreamConfig;
import io.turnstile.proxy.concurrent.EventLoops;
import io.turnstile.proxy.oci.RegistryError;
import io.turnstile.proxy.oci.RegistryErrors;
import io.turnstile.proxy.oci.RegistryException;
import io.turnstile.proxy.upstream.BufferingSink;
import io.turnstile.proxy.upstream.UpstreamClient;
import io.turnstile.proxy.upstream.UpstreamIdentity;
import io.turnstile.proxy.upstream.UpstreamRequest;
import io.turnstile.proxy.upstream.UpstreamResponse;
import io.turnstile.store.UpstreamCredentials;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What Turnstile knows of upstream content, to decide digests and blobs without trusting the
 * client: which digest a tag points at (re-checked with a HEAD after {@code tagTtl}), the
 * manifests themselves (immutable, kept by digest within a memory bound) and the closure of each
 * root manifest (every manifest and blob digest reachable from it). Keys include the
 * {@link UpstreamIdentity}, so content fetched with one license's credentials never serves another's.
 *
 * <p>For an upstream that keeps manifests on disk ({@link KeptManifests}), every manifest read is
 * kept there and read from there before the upstream is asked, and every tag answered by {@link
 * DataPlane} is noted with its digest (a tag the upstream lacks is forgotten). When resolving a tag fails because the upstream is down (unreachable, timed out, 5xx,
 * or 429 and its {@code Retry-After}), the digest the tag last had is answered instead, if the
 * upstream said so within {@code cache.staleIfError}; that answer is {@link Resolved#stale()} and
 * is trusted for {@link #STALE_RECHECK} at most before the upstream is asked again. While that ask
 * is in flight (a timing-out upstream takes its whole {@code readTimeout}), pulls of the tag get the
 * same stale answer at once instead of waiting for it.
 */
public final class ClosureCache {
  /** Largest manifest read. */
  static final int MAX_MANIFEST = 4 * 1024 * 1024;
  private static final int MAX_DEPTH = 4;
  /** Longest a tag the upstream did not have is remembered as missing. */
  static final Duration MISSING_TAG_TTL = Duration.ofSeconds(1);
  /** Longest a tag's last known digest, answered while its upstream failed, is used before asking again. */
  static final Duration STALE_RECHECK = Duration.ofSeconds(5);
  /**
   * Longest a pull waits for a tag's resolution, once the tag was last answered stale, before it
   * gets that stale answer again: an upstream that hangs is not waited for up to its readTimeout.
   */
  static final Duration STALE_WAIT = Duration.ofMillis(500);

  /**
   * What a tag resolved to: its digest (empty: the upstream has no such tag), and, when the
   * upstream failed and the digest is the one the tag last had, why it failed (else null). Inside
   * the cache, a resolution that failed is a value with its {@code failure}, so that the pulls
   * waiting on it share it but nobody after them does, and the cache does not log each one.
   */
  public record Resolved(Optional<String> digest, String stale, Throwable failure) {
    public Resolved(Optional<String> digest, String stale) {
      this(digest, stale, null);
    }

    static Resolved live(Optional<String> digest) {
      return new Resolved(digest, null);
    }

    public boolean isStale() {
      return stale != null;
    }

    Resolved orThrow() {
      if (failure != null) {
        throw failure instanceof CompletionException ce ? ce : new CompletionException(failure);
      }
      return this;
    }
  }

  private final UpstreamClient client;
  private final ObjectMapper json;
  private final KeptManifests kept;
  private final AsyncCache<String, Resolved> tags;
  /**
   * Each tag's last answer from the digest it last had while its upstream failed, until a live
   * answer replaces it: given to pulls while the next resolution of the tag is in flight.
   */
  private final com.github.benmanes.caffeine.cache.Cache<String, Resolved> staleAnswers =
      Caffeine.newBuilder().maximumSize(100_000).build();
  private final AsyncCache<String, CachedManifest> manifests;
  private final AsyncCache<String, Set<String>> closures;
  /** Subject digest to referrer manifest digests learned from referrers answers and cosign tags. */
  private final com.github.benmanes.caffeine.cache.Cache<String, Set<String>> referrers =
      Caffeine.newBuilder().maximumSize(100_000).build();

  /**
   * @param meters where the tag, manifest and closure caches report hits, misses, evictions and
   *     size ({@code cache_*{cache="tag|manifest|closure"}})
   * @param kept the manifests and tags kept on disk, for the upstreams that keep them
   */
  public ClosureCache(UpstreamClient client, ObjectMapper json, CacheConfig config, MeterRegistry meters,
      KeptManifests kept) {
    this.client = client;
    this.json = json;
    this.kept = kept;
    this.tags = CaffeineCacheMetrics.monitor(meters, Caffeine.newBuilder()
        .expireAfter(tagExpiry(config.tagTtl())).maximumSize(100_000).recordStats().buildAsync(), "tag");
    this.manifests = CaffeineCacheMetrics.monitor(meters, Caffeine.newBuilder()
        .maximumWeight(Math.max(1, config.manifestMemory()))
        .weigher((String k, CachedManifest m) -> m.body().length + 256)
        .recordStats()
        .buildAsync(), "manifest");
    this.closures = CaffeineCacheMetrics.monitor(meters,
        Caffeine.newBuilder().maximumSize(100_000).recordStats().buildAsync(), "closure");
  }

  /**
   * How long what a tag resolved to is trusted: a digest for {@code tagTtl}, a missing tag for
   * {@link #MISSING_TAG_TTL} at most, so a release pushed after a customer asked for it is pullable
   * within about a second, while a flood of pulls of a tag not yet released asks the upstream at
   * most once a second per repository and tag; a last known digest answered while the upstream
   * failed for {@link #STALE_RECHECK} at most, so the upstream is tried again soon without every
   * pull waiting on it.
   */
  private static Expiry<String, Resolved> tagExpiry(Duration tagTtl) {
    long found = tagTtl.toNanos();
    long missing = Math.min(found, MISSING_TAG_TTL.toNanos());
    long stale = Math.min(found, STALE_RECHECK.toNanos());
    return new Expiry<>() {
      @Override
      public long expireAfterCreate(String key, Resolved r, long now) {
        return r.failure() != null ? 0 : r.isStale() ? stale : r.digest().isPresent() ? found : missing;
      }

      @Override
      public long expireAfterUpdate(String key, Resolved r, long now, long left) {
        return expireAfterCreate(key, r, now);
      }

      @Override
      public long expireAfterRead(String key, Resolved r, long now, long left) {
        return left;
      }
    };
  }

  /**
   * Where a repository lives upstream and with which credentials it is read; {@code key} names
   * that {@link UpstreamIdentity} and repository in the caches.
   */
  public record Source(UpstreamConfig upstream, String repository, UpstreamCredentials creds, String key) {
    public static Source of(UpstreamConfig upstream, String repository, UpstreamCredentials creds) {
      return new Source(upstream, repository, creds, UpstreamIdentity.of(upstream, creds).key() + "|" + repository);
    }
  }

  /** The digest {@code tag} points at upstream, or empty when the tag does not exist. */
  public CompletableFuture<Optional<String>> tagDigest(EventLoop loop, Source source, String tag) {
    return resolve(loop, source, tag).thenApply(Resolved::digest);
  }

  /** As {@link #tagDigest}, saying whether the digest is the last known one, answered while the upstream failed. */
  public CompletableFuture<Resolved> resolve(EventLoop loop, Source source, String tag) {
    String key = source.key() + ":" + tag;
    CompletableFuture<Resolved> asked = tags.get(key, (k, e) -> resolveTag(loop, source, tag)
        .thenApply(d -> {
          if (d.isEmpty()) {
            kept.saw(source, tag, d);
          }
          return Resolved.live(d);
        })
        .exceptionallyCompose(err -> lastKnown(loop, source, tag, err))
        .exceptionally(err -> new Resolved(Optional.empty(), null, err))
        .whenComplete((r, err) -> {
          if (r != null && r.isStale()) {
            staleAnswers.put(key, r);
          } else {
            staleAnswers.invalidate(key);
          }
        }));
    // While the upstream is down, a pull does not wait for it to time out again every STALE_RECHECK:
    // when the tag's resolution, in flight, has no answer within STALE_WAIT, the tag's last stale
    // answer goes out, and the resolution goes on for the pulls after it.
    Resolved meanwhile = asked.isDone() ? null : staleAnswers.getIfPresent(key);
    if (meanwhile == null) {
      return asked.thenApply(Resolved::orThrow);
    }
    CompletableFuture<Resolved> first = new CompletableFuture<>();
    asked.whenComplete((r, err) -> {
      if (err != null) {
        first.completeExceptionally(err);
      } else {
        first.complete(r);
      }
    });
    loop.schedule(() -> first.complete(meanwhile), STALE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    return first.thenApply(Resolved::orThrow);
  }

  /**
   * The digest {@code tag} last had, when resolving it failed with {@code err} because the upstream
   * is down and the upstream said so within {@code cache.staleIfError}; else {@code err}, told that
   * nothing is kept to answer with meanwhile.
   */
  private CompletableFuture<Resolved> lastKnown(EventLoop loop, Source source, String tag, Throwable err) {
    if (!(err instanceof UpstreamDown) && !(err.getCause() instanceof UpstreamDown) || !kept.servesStale(source)) {
      return CompletableFuture.failedFuture(err);
    }
    RegistryException why = RegistryErrors.from(err);
    return kept.lastSeen(loop, source, tag).thenApply(d -> {
      if (d.isEmpty()) {
        throw new CompletionException(why.withMessage(why.getMessage() + "; Turnstile has no copy of tag " + tag
            + " to serve meanwhile"));
      }
      return new Resolved(d, why.getMessage());
    });
  }

  /**
   * A manifest went out by tag, as {@code r} resolved it: a live digest is noted on disk (only
   * what was served is served again during an outage), a stale one is counted and told.
   */
  void served(Source source, String tag, Resolved r) {
    if (r.isStale()) {
      kept.stale().served(source.upstream().name(), source.repository(), tag, r.stale());
    } else {
      kept.saw(source, tag, r.digest());
    }
  }

  /** The manifests and tags kept on disk. */
  KeptManifests kept() {
    return kept;
  }

  private CompletableFuture<Optional<String>> resolveTag(EventLoop loop, Source source, String tag) {
    return fetch(loop, source, "HEAD", tag).thenCompose(r -> {
      if (r.status() == 404) {
        return CompletableFuture.completedFuture(Optional.empty());
      }
      requireOk(r, "resolving tag " + tag);
      String digest = r.headers().get("Docker-Content-Digest");
      if (digest != null) {
        return CompletableFuture.completedFuture(Optional.of(digest));
      }
      // Some registries leave the digest out of HEAD answers: read the manifest and hash it.
      return fetch(loop, source, "GET", tag).thenApply(g -> {
        requireOk(g, "reading tag " + tag);
        String d = "sha256:" + sha256(g.body());
        store(source, d, g);
        return Optional.of(d);
      });
    });
  }

  /** The manifest with {@code digest}, verified against it: from memory, else from disk, else from the upstream. */
  public CompletableFuture<CachedManifest> manifest(EventLoop loop, Source source, String digest) {
    return manifests.get(source.key() + "@" + digest, (k, e) -> kept.manifest(loop, source, digest).thenCompose(onDisk -> {
      if (onDisk.isPresent()) {
        return CompletableFuture.completedFuture(parse(digest, onDisk.get().body(), onDisk.get().contentType()));
      }
      return fetch(loop, source, "GET", digest).thenApply(r -> {
        if (r.status() == 404) {
          throw new CompletionException(new RegistryException(RegistryError.MANIFEST_UNKNOWN, "manifest unknown"));
        }
        requireOk(r, "reading manifest " + digest);
        CachedManifest m = parse(digest, r);
        kept.keep(source, m);
        return m;
      });
    }));
  }

  private void store(Source source, String digest, UpstreamResponse r) {
    try {
      CachedManifest m = parse(digest, r);
      manifests.put(source.key() + "@" + digest, CompletableFuture.completedFuture(m));
      kept.keep(source, m);
    } catch (RuntimeException ignored) {
      // not a manifest we can use; it will be fetched by digest when needed
    }
  }

  private CachedManifest parse(String digest, UpstreamResponse r) {
    if (digest.startsWith("sha256:") && !("sha256:" + sha256(r.body())).equals(digest)) {
      throw new CompletionException(new RegistryException(RegistryError.UPSTREAM_FAILED,
          "the upstream registry returned a manifest that does not match its digest"));
    }
    return parse(digest, r.body(), r.headers().get(HttpHeaderNames.CONTENT_TYPE));
  }

  private CachedManifest parse(String digest, byte[] body, String contentType) {
    try {
      ManifestInfo info = ManifestInfo.parse(json, body, contentType);
      return new CachedManifest(digest, contentType == null ? info.mediaType() : contentType, body, info);
    } catch (java.io.IOException e) {
      throw new CompletionException(new RegistryException(RegistryError.UPSTREAM_FAILED,
          "the upstream registry returned a malformed manifest"));
    }
  }

  /** Every manifest and blob digest reachable from the manifest {@code root}, {@code root} included. */
  public CompletableFuture<Set<String>> closure(EventLoop loop, Source source, String root) {
    return closures.get(source.key() + "@" + root, (k, e) -> walk(loop, source, root, 0));
  }

  private CompletableFuture<Set<String>> walk(EventLoop loop, Source source, String digest, int depth) {
    return manifest(loop, source, digest).thenCompose(m -> {
      Set<String> all = new HashSet<>();
      all.add(digest);
      all.addAll(m.info().blobs());
      if (depth >= MAX_DEPTH || m.info().children().isEmpty()) {
        return CompletableFuture.completedFuture(Set.copyOf(all));
      }
      List<CompletableFuture<Set<String>>> kids = new ArrayList<>();
      for (String child : m.info().children()) {
        kids.add(walk(loop, source, child, depth + 1).exceptionally(err -> Set.of(child)));
      }
      return CompletableFuture.allOf(kids.toArray(CompletableFuture[]::new)).thenApply(v -> {
        kids.forEach(f -> all.addAll(f.join()));
        return Set.copyOf(all);
      });
    });
  }

  /** Records that {@code referrer} (a signature, SBOM, attestation) refers to {@code subject}. */
  public void addReferrer(Source source, String subject, String referrer) {
    referrers.get(source.key() + "@" + subject, k -> ConcurrentHashMap.newKeySet()).add(referrer);
  }

  /** Referrers learned for {@code subject}. */
  public Set<String> referrersOf(Source source, String subject) {
    Set<String> known = referrers.getIfPresent(source.key() + "@" + subject);
    return known == null ? Set.of() : known;
  }

  private CompletableFuture<UpstreamResponse> fetch(EventLoop loop, Source source, String method, String reference) {
    BufferingSink sink = new BufferingSink(MAX_MANIFEST);
    client.send(loop, source.upstream(), source.creds(), new UpstreamRequest(method,
        "/v2/" + source.repository() + "/manifests/" + reference, source.repository(),
        Map.of(HttpHeaderNames.ACCEPT.toString(), ManifestInfo.ACCEPT_ALL), false), sink);
    // No answer at all (unreachable, timed out, cut off, held back by a rate limit): the upstream is down.
    return sink.result().exceptionally(err -> {
      throw new UpstreamDown(EventLoops.unwrap(err));
    });
  }

  private static void requireOk(UpstreamResponse r, String what) {
    if (r.status() / 100 != 2) {
      RegistryException e = RegistryErrors.fromUpstream(r.status(), RegistryError.MANIFEST_UNKNOWN, what,
          r.headers().get(HttpHeaderNames.RETRY_AFTER));
      throw r.status() >= 500 || r.status() == 429 ? new UpstreamDown(e) : new CompletionException(e);
    }
  }

  /** A failure that means the upstream is down, rather than that it refused or lacks what was asked. */
  static final class UpstreamDown extends CompletionException {
    UpstreamDown(Throwable cause) {
      super(cause);
    }
  }

  static String sha256(byte[] body) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
