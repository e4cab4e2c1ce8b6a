package io.turnstile.proxy.access;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.ChannelHandlerContext;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.turnstile.proxy.audit.PullRecorder;
import io.turnstile.proxy.blobs.BlobStores;
import io.turnstile.proxy.licensing.LicenseFiles;
import io.turnstile.proxy.limits.UsageMeter;
import io.turnstile.proxy.observe.RequestRecord;
import io.turnstile.proxy.concurrent.EventLoops;
import io.turnstile.proxy.oci.Denial;
import io.turnstile.proxy.oci.RegistryError;
import io.turnstile.proxy.oci.RegistryErrors;
import io.turnstile.proxy.oci.RegistryException;
import io.turnstile.proxy.upstream.UpstreamClient;
import io.turnstile.store.Access;
import io.turnstile.store.License;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Answers {@code GET /bundles/{licenseId}?version=..&version=..}: an air-gap bundle of those
 * versions of the license ({@link BundleArchive}), streamed ({@link BundleStream}) with its exact
 * {@code Content-Length}, a strong {@code ETag} and {@code Accept-Ranges: bytes}. One range ({@code
 * bytes=a-b}, {@code bytes=a-}, {@code bytes=-n}) is answered 206; several, or one with {@code
 * If-Range} naming other content, get the whole archive; a range past the end, 416 ({@link ByteRange}). {@code HEAD}
 * tells the size without reading a blob. {@code referrers=false} leaves signatures and SBOMs out.
 * The manifest list inside is signed with the license-signing key ({@link BundleArchive}).
 */
final class Bundles {
  /** Most versions in one bundle. */
  static final int MAX_VERSIONS = 20;

  private final BundlePlanner planner;
  private final UpstreamClient client;
  private final BundleCacheReads cache;
  private final ObjectMapper json;
  private final LicenseFiles files;
  private final BundleAudit audit;
  private final UsageMeter usage;

  /**
   * @param files signs each bundle's manifest list
   * @param blobs the upstreams' blob caches, read from when they hold a blob; null for none
   * @param usage checks a customer's bundle against the license's fair-use limits and counts its blob bytes
   */
  Bundles(BundlePlanner planner, UpstreamClient client, ObjectMapper json, PullRecorder recorder, LicenseFiles files,
      BlobStores blobs, UsageMeter usage) {
    this.planner = planner;
    this.client = client;
    this.cache = new BundleCacheReads(blobs);
    this.json = json;
    this.files = files;
    this.audit = new BundleAudit(recorder);
    this.usage = usage;
  }

  /**
   * @param metered whether the license's fair-use limits apply: a customer's download (refused, as a
   *     blob pull is, once the license's blob bytes are used up, and its blob bytes counted as a
   *     pull's), not a vendor's through the admin API
   */
  RegistryBackend.Call serve(ChannelHandlerContext ctx, HttpRequest request, String licenseId, Access access,
      boolean metered, RegistryBackend.Completion done) throws RegistryException {
    boolean head = request.method().name().equals("HEAD");
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    QueryStringDecoder q = new QueryStringDecoder(request.uri());
    List<String> versions = versions(q);
    boolean withReferrers = !"false".equals(first(q, "referrers"));
    Optional<License> license = access.licenses().stream().filter(l -> l.id().value().equals(licenseId)).findFirst();
    if (license.isEmpty()) {
      // The same answer for another customer's license and for none at all.
      throw new RegistryException(RegistryError.DENIED, "your credentials do not cover license " + licenseId)
          .deniedFor(Denial.REPOSITORY_NOT_GRANTED);
    }
    if (metered && !head) {
      // Before anything is read or sent, as for a blob GET: a refusal never cuts a download short.
      usage.check(license.get(), false, RequestRecord.of(ctx.channel()).clientAddress(),
          request.headers().get(HttpHeaderNames.USER_AGENT));
    }
    Pending pending = new Pending();
    EventLoops.whenDone(ctx.channel().eventLoop(),
        planner.plan(ctx.channel().eventLoop(), access, license.get(), versions, withReferrers), (content, err) -> {
          if (!ctx.channel().isActive()) {
            done.finished(false);
            return;
          }
          if (err != null) {
            fail(ctx, RegistryErrors.from(err), head, keepAlive, done);
            return;
          }
          BundleLayout layout = BundleArchive.layout(json, files, license.get(), versions, content);
          BundleStream.Outcome audited = audit.outcome(access, license.get(), versions, content, layout, request, ctx);
          pending.stream = answer(ctx, request, head, keepAlive, layout, done,
              metered ? counted(audited, license.get()) : audited);
        });
    return pending;
  }

  /** {@code outcome}, and each blob byte sent counted against {@code license}'s fair use. */
  private BundleStream.Outcome counted(BundleStream.Outcome outcome, License license) {
    return new BundleStream.Outcome() {
      @Override
      public void ended(long sent, boolean complete) {
        outcome.ended(sent, complete);
      }

      @Override
      public void blobBytes(long bytes) {
        usage.blobBytes(license, bytes);
      }
    };
  }

  /** Becomes the stream once the layout is known; until then there is nothing to resume. */
  private static final class Pending implements RegistryBackend.Call {
    private BundleStream stream;

    @Override
    public void writable() {
      if (stream != null) {
        stream.writable();
      }
    }
  }

  private BundleStream answer(ChannelHandlerContext ctx, HttpRequest request, boolean head, boolean keepAlive,
      BundleLayout layout, RegistryBackend.Completion done, BundleStream.Outcome outcome) {
    long total = layout.length();
    String ifRange = request.headers().get(HttpHeaderNames.IF_RANGE);
    ByteRange range = ifRange == null || ifRange.equals(layout.etag())
        ? ByteRange.parse(request.headers().get(HttpHeaderNames.RANGE), total)
        : null;
    if (range != null && !range.satisfiable()) {
      FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
          HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE, Unpooled.EMPTY_BUFFER);
      r.headers().set(HttpHeaderNames.CONTENT_RANGE, range.contentRange(total));
      r.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
      HttpUtil.setKeepAlive(r, keepAlive);
      ctx.writeAndFlush(r).addListener(w -> done.finished(keepAlive && w.isSuccess()));
      return null;
    }
    HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1,
        range == null ? HttpResponseStatus.OK : HttpResponseStatus.PARTIAL_CONTENT);
    long from = range == null ? 0 : range.start();
    long to = range == null ? total : range.start() + range.length();
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/x-tar");
    r.headers().set(HttpHeaderNames.CONTENT_LENGTH, to - from);
    r.headers().set(HttpHeaderNames.ACCEPT_RANGES, "bytes");
    r.headers().set(HttpHeaderNames.ETAG, layout.etag());
    r.headers().set(HttpHeaderNames.CONTENT_DISPOSITION, "attachment; filename=\"bundle.tar\"");
    if (range != null) {
      r.headers().set(HttpHeaderNames.CONTENT_RANGE, range.contentRange(total));
    }
    HttpUtil.setKeepAlive(r, keepAlive);
    BundleStream stream = new BundleStream(ctx, client, cache, layout, from, head ? from : to, keepAlive, done,
        head ? (sent, complete) -> { } : outcome);
    stream.start(r);
    return stream;
  }

  private static void fail(ChannelHandlerContext ctx, RegistryException e, boolean head, boolean keepAlive,
      RegistryBackend.Completion done) {
    FullHttpResponse r = RegistryErrors.answer(e, head);
    HttpUtil.setKeepAlive(r, keepAlive);
    ctx.writeAndFlush(r).addListener(w -> done.finished(keepAlive && w.isSuccess()));
  }

  private static List<String> versions(QueryStringDecoder q) throws RegistryException {
    List<String> asked = q.parameters().getOrDefault("version", List.of());
    if (asked.isEmpty()) {
      throw new RegistryException(RegistryError.BAD_REQUEST, "name at least one version: ?version=1.2.0");
    }
    TreeSet<String> distinct = new TreeSet<>();
    for (String v : asked) {
      if (v.isBlank() || v.length() > 128) {
        throw new RegistryException(RegistryError.BAD_REQUEST, "a version must be 1 to 128 characters");
      }
      distinct.add(v);
    }
    if (distinct.size() > MAX_VERSIONS) {
      throw new RegistryException(RegistryError.BAD_REQUEST, "at most " + MAX_VERSIONS + " versions per bundle");
    }
    return new ArrayList<>(distinct);
  }

  private static String first(QueryStringDecoder q, String name) {
    List<String> v = q.parameters().get(name);
    return v == null || v.isEmpty() ? null : v.get(0);
  }
}
