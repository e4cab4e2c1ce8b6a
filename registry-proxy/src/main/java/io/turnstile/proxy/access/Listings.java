package io.turnstile.proxy.access;

import io.turnstile.proxy.oci.RegistryError;
import io.turnstile.proxy.oci.RegistryException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.turnstile.proxy.oci.HttpResponses;
import io.turnstile.proxy.upstream.BufferingSink;
import io.turnstile.proxy.upstream.UpstreamClient;
import io.turnstile.proxy.upstream.UpstreamRequest;
import io.turnstile.store.Catalog;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The listings: a repository's tags (the granted ones that exist upstream) and the catalog (the
 * caller's repositories), sorted and paginated with {@code n}, {@code last} and a {@code Link}
 * header computed on the filtered list, as distribution does.
 */
final class Listings {
  private static final int MAX_TAG_PAGES = 50;
  static final int MAX_LIST = 8 * 1024 * 1024;
  private static final Pattern NEXT = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");

  private final UpstreamClient client;
  private final Sources sources;
  private final ObjectMapper json;

  Listings(UpstreamClient client, Sources sources, ObjectMapper json) {
    this.client = client;
    this.sources = sources;
    this.json = json;
  }

  void tags(RegistryCall c, Catalog.Entry entry) throws RegistryException {
    Page page = Page.of(c.request());
    ClosureCache.Source src = sources.source(entry, sources.firstLicense(c.access(), entry));
    List<String> all = new ArrayList<>();
    c.onLoop(listTags(c, src, "/v2/" + src.repository() + "/tags/list?n=10000", 0, all), (v, err) -> {
      if (err != null) {
        c.error(err, "cannot list the upstream's tags");
        return;
      }
      TreeSet<String> granted = new TreeSet<>();
      for (String t : all) {
        if (c.access().allowsTag(entry.repository().name(), t)) {
          granted.add(t);
        }
      }
      ObjectNode body = json.createObjectNode().put("name", entry.repository().name());
      writeList(c, body, "tags", granted, page, "/v2/" + entry.repository().name() + "/tags/list");
    });
  }

  private CompletableFuture<Void> listTags(RegistryCall c, ClosureCache.Source src, String path, int page, List<String> into) {
    BufferingSink sink = new BufferingSink(MAX_LIST);
    client.send(c.loop(), src.upstream(), src.creds(), new UpstreamRequest("GET", path, src.repository(),
        Map.of(HttpHeaderNames.ACCEPT.toString(), "application/json"), false), sink);
    return sink.result().thenCompose(r -> {
      if (r.status() == 404) {
        return CompletableFuture.completedFuture(null);
      }
      if (r.status() != 200) {
        throw new CompletionException(new RegistryException(Relay.mapStatus(r.status()),
            "the upstream registry answered " + r.status() + " listing tags"));
      }
      try {
        for (JsonNode t : json.readTree(r.body()).path("tags")) {
          into.add(t.asText());
        }
      } catch (java.io.IOException e) {
        throw new CompletionException(new RegistryException(RegistryError.UPSTREAM_FAILED,
            "the upstream registry returned a malformed tag list"));
      }
      String next = nextLink(r.headers().get("Link"));
      if (next == null || page + 1 >= MAX_TAG_PAGES) {
        return CompletableFuture.completedFuture(null);
      }
      return listTags(c, src, next, page + 1, into);
    });
  }

  private static String nextLink(String link) {
    if (link == null) {
      return null;
    }
    Matcher m = NEXT.matcher(link);
    if (!m.find()) {
      return null;
    }
    String target = m.group(1);
    if (target.startsWith("http://") || target.startsWith("https://")) {
      java.net.URI u = java.net.URI.create(target);
      target = u.getRawPath() + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
    }
    return target.startsWith("/v2/") ? target : null;
  }

  void catalog(RegistryCall c) throws RegistryException {
    Page page = Page.of(c.request());
    writeList(c, json.createObjectNode(), "repositories", new TreeSet<>(c.access().repositories()), page, "/v2/_catalog");
  }

  /** {@code n}/{@code last} pagination, as distribution does it. */
  private record Page(Integer n, String last) {
    static Page of(HttpRequest request) throws RegistryException {
      QueryStringDecoder q = new QueryStringDecoder(request.uri());
      List<String> ns = q.parameters().get("n");
      Integer n = null;
      if (ns != null && !ns.isEmpty() && !ns.get(0).isEmpty()) {
        try {
          n = Integer.parseInt(ns.get(0));
        } catch (NumberFormatException e) {
          throw new RegistryException(RegistryError.PAGINATION_INVALID, "n must be a non-negative integer");
        }
        if (n < 0) {
          throw new RegistryException(RegistryError.PAGINATION_INVALID, "n must be a non-negative integer");
        }
      }
      List<String> lasts = q.parameters().get("last");
      return new Page(n, lasts == null || lasts.isEmpty() ? null : lasts.get(0));
    }
  }

  private void writeList(RegistryCall c, ObjectNode body, String field, TreeSet<String> items, Page page, String path) {
    Iterable<String> from = page.last() == null ? items : items.tailSet(page.last(), false);
    ArrayNode list = body.putArray(field);
    String lastShown = null;
    boolean more = false;
    int count = 0;
    for (String s : from) {
      if (page.n() != null && count == page.n()) {
        more = true;
        break;
      }
      list.add(s);
      lastShown = s;
      count++;
    }
    byte[] bytes;
    try {
      bytes = json.writeValueAsBytes(body);
    } catch (Exception e) {
      c.error(new RegistryException(RegistryError.INTERNAL, "internal error"));
      return;
    }
    FullHttpResponse r = HttpResponses.json(200, bytes, c.head());
    if (more && lastShown != null) {
      r.headers().set("Link", "<" + path + "?last=" + java.net.URLEncoder.encode(lastShown, java.nio.charset.StandardCharsets.UTF_8)
          + "&n=" + page.n() + ">; rel=\"next\"");
    }
    c.write(r);
  }
}
