package io.turnstile.proxy.access;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.turnstile.config.ApplicationConfig;
import io.turnstile.config.RepositoryConfig;
import io.turnstile.proxy.oci.Denial;
import io.turnstile.proxy.oci.RegistryError;
import io.turnstile.proxy.oci.RegistryException;
import io.turnstile.proxy.upstream.BufferingSink;
import io.turnstile.proxy.upstream.UpstreamClient;
import io.turnstile.proxy.upstream.UpstreamRequest;
import io.turnstile.store.Access;
import io.turnstile.store.Grant;
import io.turnstile.store.License;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Finds what a bundle of some versions of a license holds. Each version is checked first, with the
 * rule and the message of a pull ({@code your license does not grant tag 2.0.0 of vendor/app}),
 * before anything is asked of an upstream. Then every repository of the license's application is
 * read at the tags the version gives: the tag's manifest, every manifest below it (every platform of
 * an index) and every blob they name, with the size their descriptors state; and, unless left out,
 * the cosign-style tags ({@code sha256-<hex>.sig|.att|.sbom}) and the referrers the upstream lists
 * for the tag's manifest, with what they reach. That is the closure of granted tags and of their
 * referrers, the same set a pull may reach ({@link DigestAuthorization}): a bundle reaches nothing
 * a pull could not. A repository that lacks a version's tag is left out; a version no repository
 * has is refused.
 */
final class BundlePlanner {
  private static final int MAX_DEPTH = 4;
  private static final List<String> COSIGN_SUFFIXES = List.of(".sig", ".att", ".sbom");

  private final List<ApplicationConfig> applications;
  private final Sources sources;
  private final ClosureCache closures;
  private final UpstreamClient client;
  private final ObjectMapper json;

  BundlePlanner(List<ApplicationConfig> applications, Sources sources, ClosureCache closures, UpstreamClient client,
      ObjectMapper json) {
    this.applications = applications;
    this.sources = sources;
    this.closures = closures;
    this.client = client;
    this.json = json;
  }

  /** One granted tag to read: its repository, grant and version. */
  private record Wanted(RepositoryConfig repository, Grant grant, String tag, String version) {}

  /**
   * The content of a bundle of {@code versions} of {@code license}, found on {@code loop}.
   *
   * @throws RegistryException DENIED, as a pull is refused, when the license does not grant a version
   */
  CompletableFuture<BundleContent> plan(EventLoop loop, Access access, License license, List<String> versions,
      boolean withReferrers) throws RegistryException {
    List<Wanted> wanted = granted(access, license, versions);
    Collector into = new Collector();
    List<CompletableFuture<Boolean>> reads = new ArrayList<>();
    for (Wanted w : wanted) {
      reads.add(read(loop, w, license, into, withReferrers));
    }
    return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenApply(v -> {
      for (String version : versions) {
        boolean found = false;
        for (int i = 0; i < wanted.size(); i++) {
          found |= wanted.get(i).version().equals(version) && reads.get(i).join();
        }
        if (!found) {
          throw new CompletionException(new RegistryException(RegistryError.MANIFEST_UNKNOWN,
              "no repository of " + license.application() + " has version " + version));
        }
      }
      return into.content(wanted);
    });
  }

  /** The tags {@code versions} give in the application's repositories, each checked as a pull would be. */
  private List<Wanted> granted(Access access, License license, List<String> versions) throws RegistryException {
    ApplicationConfig app = applications.stream().filter(a -> a.name().equals(license.application())).findFirst()
        .orElseThrow(() -> new RegistryException(RegistryError.DENIED, "your license does not cover any repository"));
    List<Wanted> out = new ArrayList<>();
    for (String version : versions) {
      for (RepositoryConfig repo : app.repositories()) {
        Grant g = access.grant(repo.name());
        for (String tag : repo.tagsFor(version)) {
          boolean grants = g != null && g.licenses().contains(license) && g.allowsTag(tag)
              && g.grantedVersion(license, tag) != null;
          if (!grants) {
            throw new RegistryException(RegistryError.DENIED,
                "your license does not grant tag " + tag + " of " + repo.name()).deniedFor(Denial.TAG_NOT_GRANTED);
          }
          out.add(new Wanted(repo, g, tag, version));
        }
      }
    }
    return out;
  }

  /** Reads one granted tag and what it reaches; false when the repository has no such tag. */
  private CompletableFuture<Boolean> read(EventLoop loop, Wanted w, License license, Collector into,
      boolean withReferrers) {
    ClosureCache.Source src = sources.source(w.grant(), license);
    return closures.tagDigest(loop, src, w.tag()).thenCompose(root -> {
      if (root.isEmpty()) {
        return CompletableFuture.completedFuture(false);
      }
      String digest = root.get();
      return walk(loop, src, digest, 0, into).thenCompose(m -> {
        into.ref(new BundleContent.Ref(w.repository().name(), w.tag(), w.version(), digest, m.contentType(),
            m.body().length, "image"));
        return withReferrers ? signatures(loop, w, src, digest, into) : CompletableFuture.completedFuture(null);
      }).thenApply(v -> true);
    });
  }

  /** The cosign-style tags and listed referrers of {@code subject}, with what they reach. */
  private CompletableFuture<Void> signatures(EventLoop loop, Wanted w, ClosureCache.Source src, String subject,
      Collector into) {
    List<CompletableFuture<Void>> found = new ArrayList<>();
    String hex = subject.substring("sha256:".length());
    for (String suffix : COSIGN_SUFFIXES) {
      String tag = "sha256-" + hex + suffix;
      found.add(closures.tagDigest(loop, src, tag).thenCompose(d -> d.isEmpty()
          ? CompletableFuture.completedFuture(null)
          : referrer(loop, w, src, d.get(), tag, "signature", into)));
    }
    found.add(listedReferrers(loop, src, subject).thenCompose(digests -> {
      List<CompletableFuture<Void>> each = new ArrayList<>();
      for (String d : digests) {
        closures.addReferrer(src, subject, d);
        each.add(referrer(loop, w, src, d, null, "referrer", into));
      }
      return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new));
    }));
    return CompletableFuture.allOf(found.toArray(CompletableFuture[]::new));
  }

  private CompletableFuture<Void> referrer(EventLoop loop, Wanted w, ClosureCache.Source src, String digest,
      String tag, String kind, Collector into) {
    return walk(loop, src, digest, 0, into).thenAccept(m -> into.ref(new BundleContent.Ref(w.repository().name(), tag,
        w.version(), digest, m.contentType(), m.body().length, kind)));
  }

  /**
   * The manifests the upstream's referrers API lists for {@code subject}; none when it has no such
   * API (404) or answers otherwise than 200, as for a pull of signatures by tag.
   */
  private CompletableFuture<List<String>> listedReferrers(EventLoop loop, ClosureCache.Source src, String subject) {
    BufferingSink sink = new BufferingSink(Listings.MAX_LIST);
    client.send(loop, src.upstream(), src.creds(), new UpstreamRequest("GET",
        "/v2/" + src.repository() + "/referrers/" + subject, src.repository(),
        Map.of(HttpHeaderNames.ACCEPT.toString(), "application/vnd.oci.image.index.v1+json"), false), sink);
    return sink.result().thenApply(r -> {
      List<String> out = new ArrayList<>();
      if (r.status() != 200) {
        return out;
      }
      try {
        for (JsonNode m : json.readTree(r.body()).path("manifests")) {
          out.add(nameable(m.path("digest").asText(null)));
        }
      } catch (IOException e) {
        throw new CompletionException(new RegistryException(RegistryError.UPSTREAM_FAILED,
            "the upstream registry returned malformed referrers"));
      }
      return out;
    });
  }

  /**
   * Reads the manifest {@code digest} (verified against it by the closure cache) and, below it,
   * every child manifest and every blob with its descriptor's size, into {@code into}.
   */
  private CompletableFuture<CachedManifest> walk(EventLoop loop, ClosureCache.Source src, String digest, int depth,
      Collector into) {
    return closures.manifest(loop, src, nameable(digest)).thenCompose(m -> {
      into.manifests.putIfAbsent(m.digest(), m);
      JsonNode root;
      try {
        root = json.readTree(m.body());
      } catch (IOException e) {
        throw new CompletionException(new RegistryException(RegistryError.UPSTREAM_FAILED,
            "the upstream registry returned a malformed manifest"));
      }
      List<JsonNode> blobs = new ArrayList<>();
      if (root.has("config")) {
        blobs.add(root.get("config"));
      }
      root.path("layers").forEach(blobs::add);
      root.path("blobs").forEach(blobs::add);
      for (JsonNode b : blobs) {
        JsonNode size = b.path("size");
        if (!size.canConvertToLong() || size.asLong() < 0) {
          throw new CompletionException(new RegistryException(RegistryError.UPSTREAM_FAILED,
              "the upstream registry returned a descriptor without a size in " + m.digest()));
        }
        String d = nameable(b.path("digest").asText(null));
        into.blobs.putIfAbsent(d, new BundleBlob(d, size.asLong(), src));
      }
      List<CompletableFuture<CachedManifest>> children = new ArrayList<>();
      if (depth < MAX_DEPTH) {
        for (JsonNode child : root.path("manifests")) {
          children.add(walk(loop, src, child.path("digest").asText(null), depth + 1, into));
        }
      }
      return CompletableFuture.allOf(children.toArray(CompletableFuture[]::new)).thenApply(v -> m);
    });
  }

  /** {@code digest} if a bundle can name a file by it; otherwise the bundle cannot be made. */
  private static String nameable(String digest) {
    if (!BundleBlob.isNameable(digest)) {
      throw new CompletionException(new RegistryException(RegistryError.UPSTREAM_FAILED,
          "the upstream registry names content by a digest a bundle cannot hold (only sha256 is supported)"));
    }
    return digest;
  }

  /** Gathers what the reads find; they complete on several threads' callbacks, hence the concurrent maps. */
  private static final class Collector {
    final ConcurrentSkipListMap<String, CachedManifest> manifests = new ConcurrentSkipListMap<>();
    final ConcurrentSkipListMap<String, BundleBlob> blobs = new ConcurrentSkipListMap<>();
    private final List<BundleContent.Ref> refs = new ArrayList<>();

    synchronized void ref(BundleContent.Ref r) {
      refs.add(r);
    }

    /** The content, refs in the order of the granted tags, then of their signatures and referrers. */
    synchronized BundleContent content(List<Wanted> wanted) {
      List<BundleContent.Ref> ordered = new ArrayList<>();
      for (Wanted w : wanted) {
        refs.stream().filter(r -> r.kind().equals("image") && r.repository().equals(w.repository().name())
            && w.tag().equals(r.tag())).forEach(ordered::add);
      }
      refs.stream().filter(r -> !r.kind().equals("image"))
          .sorted(java.util.Comparator.comparing(BundleContent.Ref::repository)
              .thenComparing(BundleContent.Ref::digest)
              .thenComparing(r -> r.tag() == null ? "" : r.tag()))
          .distinct().forEach(ordered::add);
      // A blob that is also a manifest (a referrer naming a manifest as a layer) is written once, as the manifest.
      manifests.keySet().forEach(blobs::remove);
      return new BundleContent(List.copyOf(ordered), manifests, blobs);
    }
  }
}
