package io.turnstile.proxy.access;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.turnstile.config.TurnstileConfig;
import io.turnstile.proxy.audit.PullRecorder;
import io.turnstile.proxy.blobs.BlobStore;
import io.turnstile.proxy.blobs.BlobStores;
import io.turnstile.proxy.licensing.LicenseFiles;
import io.turnstile.proxy.limits.UsageMeter;
import io.turnstile.proxy.oci.Denial;
import io.turnstile.proxy.oci.HttpResponses;
import io.turnstile.proxy.oci.RegistryError;
import io.turnstile.proxy.oci.RegistryException;
import io.turnstile.proxy.oci.RegistryPath;
import io.turnstile.proxy.upstream.ResponseSink;
import io.turnstile.proxy.upstream.UpstreamClient;
import io.turnstile.proxy.upstream.UpstreamRequest;
import io.turnstile.proxy.upstream.UpstreamTags;
import io.turnstile.store.Access;
import io.turnstile.store.Grant;
import io.turnstile.store.License;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Decides what a license lets through and serves it. Manifests by tag are allowed when a granted
 * version's tag template produces the tag, or the version the tag stands for is inside a granted
 * range, decided before any upstream contact; digests, blobs and referrers subjects when they are
 * reachable from a granted tag ({@link DigestAuthorization}); tag lists and the catalog are filtered
 * to what the caller holds ({@link Listings}). Allowed manifests are served from memory when known,
 * blobs from the upstream's blob cache when it has one ({@link CachedBlobs}), referrers by {@link
 * Referrers}, everything else is streamed from the upstream by a {@link Relay}. Tags seen upstream
 * are handed to {@link TagSightings}.
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
  private final DigestAuthorization digests;
  private final Referrers referrers;
  private final Pulls pulls;
  private final BlobStores blobs;
  private final Bundles bundles;
  private final UsageMeter usage;

  /**
   * @param pulls told of every manifest GET answered 200, for the audit log
   * @param blobs the blob caches of the upstreams that have one
   * @param usage checks and counts each manifest and blob GET, and each customer's bundle, against
   *     the license's fair-use limits
   * @param licenseFiles signs the manifest list of each air-gap bundle
   */
  public DataPlane(TurnstileConfig config, UpstreamClient client, ClosureCache closures, TagSightings sightings,
      ObjectMapper json, PullRecorder pulls, BlobStores blobs, UsageMeter usage, LicenseFiles licenseFiles) {
    this.sources = new Sources(config.upstreams());
    this.tagLists = new TagLists(new UpstreamTags(client, json), config.cache(), closures.kept());
    this.listings = new Listings(tagLists, sources, sightings, json);
    this.client = client;
    this.closures = closures;
    this.sightings = sightings;
    this.digests = new DigestAuthorization(sources, closures, tagLists, sightings);
    this.referrers = new Referrers(client, closures, sources, json);
    this.pulls = new Pulls(pulls);
    this.blobs = blobs;
    this.usage = usage;
    this.bundles = new Bundles(new BundlePlanner(config.applications(), sources, closures, client, json), client, json,
        pulls, licenseFiles, blobs, usage);
  }

  @Override
  public RegistryBackend.Call bundle(ChannelHandlerContext ctx, HttpRequest request, String licenseId, Access access,
      boolean metered, Completion done) throws RegistryException {
    return bundles.serve(ctx, request, licenseId, access, metered, done);
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
    boolean counted = !c.head() && (c.path().kind() == RegistryPath.Kind.MANIFEST
        || c.path().kind() == RegistryPath.Kind.BLOB);
    if (counted) {
      // Before anything is served: a refusal never cuts a download in the middle.
      usage.check(countedLicense(c, g), c.path().kind() == RegistryPath.Kind.MANIFEST, c.client(),
          c.request().headers().get(HttpHeaderNames.USER_AGENT));
    }
    switch (c.path().kind()) {
      case MANIFEST -> {
        if (c.path().isDigestReference()) {
          manifestByDigest(c, g);
        } else {
          manifestByTag(c, g);
        }
      }
      case BLOB -> digests.whenAllowed(c, g, c.path().reference(), () -> blob(c, g));
      case TAGS -> listings.tags(c, g);
      case REFERRERS -> digests.whenAllowed(c, g, c.path().reference(), () -> referrers.serve(c, g));
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
      digests.whenAllowed(c, g, subject, () -> {
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
    digests.whenAllowed(c, g, digest, () -> serveManifest(c, sources.untagged(g), digest, null));
  }

  /**
   * Serves a manifest from memory when its digest is known and the client accepts its type. A tag
   * granted by {@code granting} (null: not a release tag) that turns out to exist is a sighting of
   * it, and joins the remembered tag list that range grants decide digests by.
   */
  private void serveManifest(RegistryCall c, ClosureCache.Source src, String reference, Grant granting) {
    String accept = header(c.request(), HttpHeaderNames.ACCEPT);
    CompletableFuture<ClosureCache.Resolved> resolved = reference.indexOf(':') > 0
        ? CompletableFuture.completedFuture(new ClosureCache.Resolved(Optional.of(reference), null))
        : closures.resolve(c.loop(), src, reference);
    CompletableFuture<Optional<String>> digest = resolved.thenApply(ClosureCache.Resolved::digest);
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
            if (reference.indexOf(':') < 0) {
              closures.served(src, reference, resolved.join());
            }
            writeManifest(c, manifest);
          } else {
            // The client does not take the stored form: let the upstream negotiate.
            proxy(c, src, "/manifests/" + reference, false, RegistryError.MANIFEST_UNKNOWN,
                both(pulls.wanted(c) ? pulls.manifestObserver(c, manifest.digest()) : null, manifestCounter(c)));
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
    boolean audited = pulls.wanted(c);
    c.write(r, audited || !c.head() ? () -> {
      if (audited) {
        pulls.delivered(c, m.digest());
      }
      if (!c.head()) {
        usage.manifestPulled(countedLicense(c, c.grant()));
      }
    } : null);
  }

  // ---- blobs ----

  /** Serves a blob the caller's license has been found to reach, from the cache when its upstream has one. */
  private void blob(RegistryCall c, Grant g) {
    ClosureCache.Source src = sources.untagged(g);
    String suffix = "/blobs/" + c.path().reference();
    Relay.Observer observer = both(pulls.wanted(c) ? pulls.blobObserver(c) : null, blobCounter(c));
    BlobStore store = blobs.of(src.upstream().name());
    if (store == null) {
      proxy(c, src, suffix, true, RegistryError.BLOB_UNKNOWN, observer);
      return;
    }
    new CachedBlobs((call, counted, sink) -> proxy(call, src, suffix, true, RegistryError.BLOB_UNKNOWN, counted, sink))
        .serve(c, store, observer);
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

  // ---- fair use ----

  /**
   * The license a request counts against: the one logged in with (a license key or a pull token
   * names it), else, for a customer key, the first of the customer's licenses granting the repository.
   */
  private static License countedLicense(RegistryCall c, Grant g) {
    var id = c.access().principal().licenseId();
    if (id != null) {
      for (License l : g.licenses()) {
        if (l.id().equals(id)) {
          return l;
        }
      }
    }
    return g.licenses().get(0);
  }

  /** Counts a relayed manifest GET once answered 200; null for a HEAD. */
  private Relay.Observer manifestCounter(RegistryCall c) {
    if (c.head()) {
      return null;
    }
    License l = countedLicense(c, c.grant());
    return new Relay.Observer() {
      @Override
      public void delivered(HttpResponse up) {
        usage.manifestPulled(l);
      }
    };
  }

  /** Counts a blob's bytes as they are sent; null for a HEAD. */
  private Relay.Observer blobCounter(RegistryCall c) {
    if (c.head()) {
      return null;
    }
    License l = countedLicense(c, c.grant());
    return new Relay.Observer() {
      @Override
      public void sent(long bytes) {
        usage.blobBytes(l, bytes);
      }
    };
  }

  /** Both observers told, either may be null. */
  private static Relay.Observer both(Relay.Observer a, Relay.Observer b) {
    if (a == null || b == null) {
      return a == null ? b : a;
    }
    return new Relay.Observer() {
      @Override
      public void delivered(HttpResponse up) {
        a.delivered(up);
        b.delivered(up);
      }

      @Override
      public void sent(long bytes) {
        a.sent(bytes);
        b.sent(bytes);
      }
    };
  }

  // ---- plumbing ----

  /** All values of a header joined as one (clients such as docker send Accept several times). */
  private static String header(HttpRequest request, CharSequence name) {
    List<String> values = request.headers().getAll(name);
    return values.isEmpty() ? null : String.join(", ", values);
  }

}
