package io.turnstile.proxy.access;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.turnstile.config.TurnstileConfig;
import io.turnstile.proxy.audit.PullRecorder;
import io.turnstile.proxy.blobs.BlobStore;
import io.turnstile.proxy.blobs.BlobStores;
import io.turnstile.proxy.concurrent.EventLoops;
import io.turnstile.proxy.oci.Denial;
import io.turnstile.proxy.oci.HttpResponses;
import io.turnstile.proxy.oci.RegistryError;
import io.turnstile.proxy.oci.RegistryErrors;
import io.turnstile.proxy.oci.RegistryException;
import io.turnstile.proxy.oci.RegistryPath;
import io.turnstile.proxy.upstream.BufferingSink;
import io.turnstile.proxy.upstream.ResponseSink;
import io.turnstile.proxy.upstream.UpstreamClient;
import io.turnstile.proxy.upstream.UpstreamRequest;
import io.turnstile.proxy.upstream.UpstreamTags;
import io.turnstile.store.Access;
import io.turnstile.store.Grant;
import io.turnstile.store.License;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Decides what a license lets through and serves it. Manifests by tag are allowed when a granted
 * version's tag template produces the tag, or the version the tag stands for is inside a granted
 * range, decided before any upstream contact; digests and blobs when they are reachable from a
 * granted tag (the {@link ClosureCache} knows; under a range, the granted tags are those of the
 * upstream's tag list that the range holds); tag lists and the catalog are filtered to what the
 * caller holds. Allowed manifests are served from memory when known, blobs from the upstream's blob
 * cache when it has one ({@link CachedBlobs}), everything else is streamed from the upstream by a
 * {@link Relay}. Tags seen upstream are handed to {@link TagSightings}.
 */
public final class DataPlane implements RegistryBackend {
  private static final Pattern COSIGN_TAG = Pattern.compile("sha256-([a-f0-9]{64})\\.(sig|att|sbom)");
  private static final List<CharSequence> FORWARDED_REQUEST_HEADERS = List.of(
      HttpHeaderNames.ACCEPT, HttpHeaderNames.RANGE, HttpHeaderNames.IF_NONE_MATCH, HttpHeaderNames.IF_RANGE,
      HttpHeaderNames.IF_MODIFIED_SINCE, HttpHeaderNames.ACCEPT_ENCODING);

  private final Sources sources;
  private final Listings listings;
  private final UpstreamClient client;
  private final ClosureCache closures;
  private final TagLists tagLists;
  private final TagSightings sightings;
  private final ObjectMapper json;
  private final Pulls pulls;
  private final BlobStores blobs;

  /**
   * @param pulls told of every manifest GET answered 200, for the audit log
   * @param blobs the blob caches of the upstreams that have one
   */
  public DataPlane(TurnstileConfig config, UpstreamClient client, ClosureCache closures, TagSightings sightings,
      ObjectMapper json, PullRecorder pulls, BlobStores blobs) {
    this.sources = new Sources(config.upstreams());
    this.tagLists = new TagLists(new UpstreamTags(client, json), config.cache());
    this.listings = new Listings(tagLists, sources, sightings, json);
    this.client = client;
    this.closures = closures;
    this.sightings = sightings;
    this.json = json;
    this.pulls = new Pulls(pulls);
    this.blobs = blobs;
  }

  @Override
  public RegistryBackend.Call serve(ChannelHandlerContext ctx, HttpRequest request, RegistryPath path, Access access,
      Completion done) {
    // The one question to the snapshot: the caller's grant on the repository.
    Grant grant = path.kind() == RegistryPath.Kind.CATALOG ? null : access.grant(path.name());
    RegistryCall c = new RegistryCall(ctx, request, path, access, grant, done);
    try {
      route(c);
    } catch (RegistryException | RuntimeException e) {
      c.error(e);
    }
    return c;
  }

  private void route(RegistryCall c) throws RegistryException {
    if (c.path().kind() == RegistryPath.Kind.CATALOG) {
      listings.catalog(c);
      return;
    }
    Grant g = c.grant();
    if (g == null) {
      // The authenticator refuses these first; the same answer for a configured repository and an
      // unknown one, so that nothing tells them apart.
      throw new RegistryException(RegistryError.DENIED, "your license does not cover repository " + c.path().name())
          .deniedFor(Denial.REPOSITORY_NOT_GRANTED);
    }
    switch (c.path().kind()) {
      case MANIFEST -> {
        if (c.path().isDigestReference()) {
          manifestByDigest(c, g);
        } else {
          manifestByTag(c, g);
        }
      }
      case BLOB -> whenAllowed(c, g, c.path().reference(), () -> blob(c, g));
      case TAGS -> listings.tags(c, g);
      case REFERRERS -> whenAllowed(c, g, c.path().reference(), () -> referrers(c, g));
      default -> throw new RegistryException(RegistryError.NOT_FOUND, "unknown registry endpoint");
    }
  }

  // ---- manifests ----

  private void manifestByTag(RegistryCall c, Grant g) throws RegistryException {
    String tag = c.path().reference();
    if (!RegistryPath.isTag(tag)) {
      // Such a tag cannot exist anywhere: saying so tells nothing.
      throw new RegistryException(RegistryError.MANIFEST_UNKNOWN, "manifest unknown");
    }
    Optional<License> license = g.licenseForTag(tag);
    if (license.isPresent()) {
      c.reachedFrom(tag, license.get());
      serveManifest(c, sources.source(g, license.get()), tag, g);
      return;
    }
    Matcher cosign = COSIGN_TAG.matcher(tag);
    if (cosign.matches()) {
      String subject = "sha256:" + cosign.group(1);
      whenAllowed(c, g, subject, () -> {
        ClosureCache.Source src = sources.untagged(g);
        c.onLoop(closures.tagDigest(c.loop(), src, tag), (digest, err) -> {
          if (err == null && digest.isPresent()) {
            closures.addReferrer(src, subject, digest.get());
          }
          serveManifest(c, src, tag, null);
        });
      });
      return;
    }
    throw new RegistryException(RegistryError.DENIED,
        "your license does not grant tag " + tag + " of " + g.repository().name()).deniedFor(Denial.TAG_NOT_GRANTED);
  }

  private void manifestByDigest(RegistryCall c, Grant g) {
    String digest = c.path().reference();
    whenAllowed(c, g, digest, () -> serveManifest(c, sources.untagged(g), digest, null));
  }

  /**
   * Serves a manifest from memory when its digest is known and the client accepts its type. A tag
   * granted by {@code granting} (null: not a release tag) that turns out to exist is a sighting of
   * it, and joins the remembered tag list that range grants decide digests by.
   */
  private void serveManifest(RegistryCall c, ClosureCache.Source src, String reference, Grant granting) {
    String accept = header(c.request(), HttpHeaderNames.ACCEPT);
    CompletableFuture<Optional<String>> digest = reference.indexOf(':') > 0
        ? CompletableFuture.completedFuture(Optional.of(reference))
        : closures.tagDigest(c.loop(), src, reference);
    if (granting != null) {
      digest = digest.thenApply(d -> {
        if (d.isPresent()) {
          sightings.saw(granting.repository().name(), reference);
          if (granting.grantsByRange()) {
            tagLists.exists(sources.untagged(granting), reference);
          }
        }
        return d;
      });
    }
    c.onLoop(digest.thenCompose(d -> d.isEmpty()
        ? CompletableFuture.completedFuture((CachedManifest) null)
        : closures.manifest(c.loop(), src, d.get())), (manifest, err) -> {
          if (err != null) {
            c.error(err);
          } else if (manifest == null) {
            c.error(new RegistryException(RegistryError.MANIFEST_UNKNOWN, "manifest unknown"));
          } else if (manifest.acceptableTo(accept)) {
            writeManifest(c, manifest);
          } else {
            // The client does not take the stored form: let the upstream negotiate.
            proxy(c, src, "/manifests/" + reference, false, RegistryError.MANIFEST_UNKNOWN,
                pulls.wanted(c) ? pulls.manifestObserver(c, manifest.digest()) : null);
          }
        });
  }

  private void writeManifest(RegistryCall c, CachedManifest m) {
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
        c.head() ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(m.body()));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, m.contentType());
    r.headers().set(HttpHeaderNames.CONTENT_LENGTH, m.body().length);
    r.headers().set("Docker-Content-Digest", m.digest());
    r.headers().set(HttpHeaderNames.ETAG, "\"" + m.digest() + "\"");
    r.headers().set(HttpResponses.API_VERSION_HEADER, HttpResponses.API_VERSION);
    c.write(r, pulls.wanted(c) ? () -> pulls.delivered(c, m.digest()) : null);
  }

  // ---- blobs ----

  /** Serves a blob the caller's license has been found to reach, from the cache when its upstream has one. */
  private void blob(RegistryCall c, Grant g) {
    ClosureCache.Source src = sources.untagged(g);
    String suffix = "/blobs/" + c.path().reference();
    Relay.Observer observer = pulls.wanted(c) ? pulls.blobObserver(c) : null;
    BlobStore store = blobs.of(src.upstream().name());
    if (store == null) {
      proxy(c, src, suffix, true, RegistryError.BLOB_UNKNOWN, observer);
      return;
    }
    new CachedBlobs((call, counted, sink) -> proxy(call, src, suffix, true, RegistryError.BLOB_UNKNOWN, counted, sink))
        .serve(c, store, observer);
  }

  // ---- digest authorization ----

  private interface Allowed {
    void run() throws RegistryException;
  }

  /** Runs {@code then} if {@code digest} is reachable from a tag the caller's licenses grant. */
  private void whenAllowed(RegistryCall c, Grant g, String digest, Allowed then) {
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
   * with its license, whose closure holds {@code digest}; null when none does. Under a range a
   * digest found under no remembered tag is looked for again in a fresh list, for a release pushed
   * a moment ago.
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

  // ---- lists ----

  // ---- referrers ----

  private void referrers(RegistryCall c, Grant g) {
    ClosureCache.Source src = sources.untagged(g);
    String subject = c.path().reference();
    QueryStringDecoder q = new QueryStringDecoder(c.request().uri());
    String query = q.parameters().containsKey("artifactType")
        ? "?artifactType=" + java.net.URLEncoder.encode(q.parameters().get("artifactType").get(0), java.nio.charset.StandardCharsets.UTF_8)
        : "";
    BufferingSink sink = new BufferingSink(Listings.MAX_LIST);
    client.send(c.loop(), src.upstream(), src.creds(), new UpstreamRequest("GET",
        "/v2/" + src.repository() + "/referrers/" + subject + query, src.repository(),
        Map.of(HttpHeaderNames.ACCEPT.toString(), "application/vnd.oci.image.index.v1+json"), false), sink);
    c.onLoop(sink.result(), (r, err) -> {
      if (err != null) {
        c.error(err);
        return;
      }
      if (r.status() != 200) {
        c.error(RegistryErrors.fromUpstream(r.status(), RegistryError.MANIFEST_UNKNOWN, "listing referrers",
            r.headers().get(HttpHeaderNames.RETRY_AFTER)));
        return;
      }
      try {
        for (JsonNode m : json.readTree(r.body()).path("manifests")) {
          String d = m.path("digest").asText(null);
          if (d != null) {
            closures.addReferrer(src, subject, d);
          }
        }
      } catch (java.io.IOException e) {
        c.error(new RegistryException(RegistryError.UPSTREAM_FAILED, "the upstream registry returned malformed referrers"));
        return;
      }
      FullHttpResponse out = HttpResponses.json(200, r.body(), c.head());
      out.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/vnd.oci.image.index.v1+json");
      String filters = r.headers().get("OCI-Filters-Applied");
      if (filters != null) {
        out.headers().set("OCI-Filters-Applied", filters);
      }
      c.write(out);
    });
  }

  // ---- proxying ----

  private void proxy(RegistryCall c, ClosureCache.Source src, String suffix, boolean blob, RegistryError notFound) {
    proxy(c, src, suffix, blob, notFound, null);
  }

  /** @param observer told what reached the client; null when nobody asks */
  private void proxy(RegistryCall c, ClosureCache.Source src, String suffix, boolean blob, RegistryError notFound,
      Relay.Observer observer) {
    proxy(c, src, suffix, blob, notFound, observer, relay -> relay);
  }

  /** @param sink what hears the upstream's answer, given the relay to the client */
  private void proxy(RegistryCall c, ClosureCache.Source src, String suffix, boolean blob, RegistryError notFound,
      Relay.Observer observer, Function<Relay, ResponseSink> sink) {
    Map<String, String> headers = new HashMap<>();
    for (CharSequence h : FORWARDED_REQUEST_HEADERS) {
      String v = header(c.request(), h);
      if (v != null) {
        headers.put(h.toString(), v);
      }
    }
    Relay relay = new Relay(c.ctx(), c.head(), c.keepAlive(), notFound, c.done(), observer);
    c.streamWith(relay);
    relay.call(client.send(c.loop(), src.upstream(), src.creds(), new UpstreamRequest(
        c.request().method().name(), "/v2/" + src.repository() + suffix, src.repository(), headers, blob),
        sink.apply(relay)));
  }

  // ---- plumbing ----

  /** All values of a header joined as one (clients such as docker send Accept several times). */
  private static String header(HttpRequest request, CharSequence name) {
    List<String> values = request.headers().getAll(name);
    return values.isEmpty() ? null : String.join(", ", values);
  }

}
