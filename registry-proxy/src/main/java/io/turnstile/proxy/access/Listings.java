package io.turnstile.proxy.access;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.turnstile.proxy.oci.HttpResponses;
import io.turnstile.proxy.oci.RegistryError;
import io.turnstile.proxy.oci.RegistryException;
import io.turnstile.store.Grant;
import java.util.List;
import java.util.TreeSet;

/**
 * The listings: a repository's tags (the granted ones that exist upstream) and the catalog (the
 * caller's repositories), sorted and paginated with {@code n}, {@code last} and a {@code Link}
 * header computed on the filtered list, as distribution does.
 */
final class Listings {
  /** Largest upstream list answer read (referrers). */
  static final int MAX_LIST = 8 * 1024 * 1024;

  private final TagLists tagLists;
  private final Sources sources;
  private final TagSightings sightings;
  private final ObjectMapper json;

  Listings(TagLists tagLists, Sources sources, TagSightings sightings, ObjectMapper json) {
    this.tagLists = tagLists;
    this.sources = sources;
    this.sightings = sightings;
    this.json = json;
  }

  /** Lists the upstream now (a client listing wants what is there), and remembers the list. */
  void tags(RegistryCall c, Grant g) throws RegistryException {
    Page page = Page.of(c.request());
    ClosureCache.Source src = sources.untagged(g);
    c.onLoop(tagLists.listNow(c.loop(), src), (all, err) -> {
      if (err != null) {
        c.error(err);
        return;
      }
      sightings.saw(g.repository().name(), all);
      TreeSet<String> granted = new TreeSet<>();
      for (String t : all) {
        if (g.allowsTag(t)) {
          granted.add(t);
        }
      }
      ObjectNode body = json.createObjectNode().put("name", g.repository().name());
      writeList(c, body, "tags", granted, page, "/v2/" + g.repository().name() + "/tags/list");
    });
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
      c.error(e);
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
