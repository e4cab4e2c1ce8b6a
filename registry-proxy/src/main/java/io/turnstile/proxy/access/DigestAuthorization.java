package io.turnstile.proxy.access;

import io.turnstile.proxy.concurrent.EventLoops;
import io.turnstile.proxy.oci.Denial;
import io.turnstile.proxy.oci.RegistryError;
import io.turnstile.proxy.oci.RegistryException;
import io.turnstile.store.Grant;
import io.turnstile.store.License;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Whether a grant reaches a digest (a manifest, a blob, a referrers subject): it does when the
 * digest is in the closure of a granted tag, or of a known referrer (signature, SBOM) of something
 * in that closure. Under a range grant the granted tags are those of the upstream's tag list that
 * the range holds, and a digest found under none of them is looked for again in a fresh list, for a
 * release pushed a moment ago; the tags that list adds are sightings. A granted tag that cannot be
 * read makes the answer unknown (an error), not a denial.
 */
final class DigestAuthorization {
  private final Sources sources;
  private final ClosureCache closures;
  private final TagLists tagLists;
  private final TagSightings sightings;

  DigestAuthorization(Sources sources, ClosureCache closures, TagLists tagLists, TagSightings sightings) {
    this.sources = sources;
    this.closures = closures;
    this.tagLists = tagLists;
    this.sightings = sightings;
  }

  /** What runs once a digest is allowed; a failure it throws becomes the call's answer. */
  interface Allowed {
    void run() throws RegistryException;
  }

  /**
   * Runs {@code then} on the call's event loop if {@code digest} is reachable from a tag the
   * caller's licenses grant, after telling the call which tag reached it; otherwise answers DENIED.
   */
  void whenAllowed(RegistryCall c, Grant g, String digest, Allowed then) {
    c.onLoop(reachable(c, g, digest), (via, err) -> {
      if (err != null) {
        c.error(err);
      } else if (via == null) {
        c.error(new RegistryException(RegistryError.DENIED,
            "your license does not grant " + digest + " in " + g.repository().name())
            .deniedFor(Denial.DIGEST_NOT_GRANTED));
      } else {
        c.reachedFrom(via.getKey(), via.getValue());
        try {
          then.run();
        } catch (RegistryException e) {
          c.error(e);
        }
      }
    });
  }

  /**
   * The first granted tag (in version order; under a range, the upstream's tags that it holds),
   * with its license, whose closure holds {@code digest}; null when none does.
   */
  private CompletableFuture<Map.Entry<String, License>> reachable(RegistryCall c, Grant g, String digest) {
    if (!g.grantsByRange()) {
      return reachableFrom(c, g, g.grantedTags(), digest);
    }
    ClosureCache.Source listed = sources.untagged(g);
    return tagLists.tags(c.loop(), listed).thenCompose(tags -> {
      Map<String, License> granted = new LinkedHashMap<>(g.grantedTags());
      g.grantedTags(tags).forEach(granted::putIfAbsent);
      return reachableFrom(c, g, granted, digest).thenCompose(found -> found != null
          ? CompletableFuture.completedFuture(found)
          : tagLists.refreshed(c.loop(), listed).thenCompose(fresh -> {
            Map<String, License> added = new LinkedHashMap<>(g.grantedTags(fresh));
            added.keySet().removeAll(granted.keySet());
            if (added.isEmpty()) {
              return CompletableFuture.completedFuture((Map.Entry<String, License>) null);
            }
            sightings.saw(g.repository().name(), added.keySet());
            return reachableFrom(c, g, added, digest);
          }));
    });
  }

  /** The first of {@code grantedTags}, with its license, whose closure holds {@code digest}; null when none does. */
  private CompletableFuture<Map.Entry<String, License>> reachableFrom(RegistryCall c, Grant g,
      Map<String, License> grantedTags, String digest) {
    List<CompletableFuture<Boolean>> checks = new ArrayList<>();
    List<Map.Entry<String, License>> tags = new ArrayList<>(grantedTags.entrySet());
    for (Map.Entry<String, License> granted : tags) {
      String tag = granted.getKey();
      ClosureCache.Source src = sources.source(g, granted.getValue());
      checks.add(closures.tagDigest(c.loop(), src, tag).thenCompose(root -> root.isEmpty()
          ? CompletableFuture.completedFuture(false)
          : closures.closure(c.loop(), src, root.get()).thenCompose(set -> set.contains(digest)
              ? CompletableFuture.completedFuture(true)
              : viaReferrers(c, src, set, digest))));
    }
    if (checks.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    return CompletableFuture.allOf(checks.toArray(CompletableFuture[]::new)).handle((v, e) -> {
      Throwable firstError = null;
      for (int i = 0; i < checks.size(); i++) {
        CompletableFuture<Boolean> f = checks.get(i);
        if (f.isCompletedExceptionally()) {
          if (firstError == null) {
            firstError = EventLoops.unwrap(f.handle((x, err) -> err).join());
          }
        } else if (f.join()) {
          return tags.get(i);
        }
      }
      if (firstError != null) {
        // Some granted tag could not be read: the answer is unknown, not "no".
        throw new CompletionException(firstError);
      }
      return null;
    });
  }

  /** Whether {@code digest} belongs to a known referrer (signature, SBOM) of something in {@code closure}. */
  private CompletableFuture<Boolean> viaReferrers(RegistryCall c, ClosureCache.Source src, Set<String> closure, String digest) {
    List<CompletableFuture<Set<String>>> walks = new ArrayList<>();
    for (String subject : closure) {
      for (String referrer : closures.referrersOf(src, subject)) {
        walks.add(closures.closure(c.loop(), src, referrer).exceptionally(e -> Set.of(referrer)));
      }
    }
    if (walks.isEmpty()) {
      return CompletableFuture.completedFuture(false);
    }
    return CompletableFuture.allOf(walks.toArray(CompletableFuture[]::new))
        .thenApply(v -> walks.stream().anyMatch(w -> w.join().contains(digest)));
  }
}
