package io.turnstile.proxy.access;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.turnstile.proxy.oci.HttpResponses;
import io.turnstile.proxy.oci.RegistryError;
import io.turnstile.proxy.oci.RegistryErrors;
import io.turnstile.proxy.oci.RegistryException;
import io.turnstile.proxy.upstream.BufferingSink;
import io.turnstile.proxy.upstream.UpstreamClient;
import io.turnstile.proxy.upstream.UpstreamRequest;
import io.turnstile.store.Grant;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The referrers API for a subject the caller's grant reaches: asks the upstream (passing on an
 * {@code artifactType} filter), remembers every referrer it names in the {@link ClosureCache}, so
 * that a granted image's signatures and SBOMs become reachable digests, and answers with the
 * upstream's index as it came. The answer is read whole, up to {@link Listings#MAX_LIST}.
 */
final class Referrers {
  private final UpstreamClient client;
  private final ClosureCache closures;
  private final Sources sources;
  private final ObjectMapper json;

  Referrers(UpstreamClient client, ClosureCache closures, Sources sources, ObjectMapper json) {
    this.client = client;
    this.closures = closures;
    this.sources = sources;
    this.json = json;
  }

  void serve(RegistryCall c, Grant g) {
    ClosureCache.Source src = sources.untagged(g);
    String subject = c.path().reference();
    QueryStringDecoder q = new QueryStringDecoder(c.request().uri());
    String query = q.parameters().containsKey("artifactType")
        ? "?artifactType=" + URLEncoder.encode(q.parameters().get("artifactType").get(0), StandardCharsets.UTF_8)
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
      } catch (IOException e) {
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
}
