package io.turnstile.proxy.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.turnstile.config.UpstreamConfig;
import io.turnstile.proxy.oci.RegistryError;
import io.turnstile.proxy.oci.RegistryErrors;
import io.turnstile.proxy.oci.RegistryException;
import io.turnstile.store.UpstreamCredentials;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Lists a repository's tags at its upstream, for the data plane's tag lists and the admin API's
 * version lists, through the upstream client (so with the same authentication, TLS and timeouts as a pull): {@code GET
 * /v2/<repository>/tags/list?n=1000}, then each {@code Link: <...>; rel="next"} page, at most
 * {@value #MAX_PAGES} pages of at most {@value #MAX_PAGE_BYTES} bytes each.
 */
public final class UpstreamTags {
  static final int MAX_PAGES = 100;
  static final int MAX_PAGE_BYTES = 4 * 1024 * 1024;
  private static final Pattern NEXT_LINK = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");

  private final UpstreamClient client;
  private final ObjectMapper json;

  public UpstreamTags(UpstreamClient client, ObjectMapper json) {
    this.client = client;
    this.json = json;
  }

  /**
   * Every tag of {@code repository}, in the upstream's order, read with the upstream's own
   * credentials on any event loop; none when the upstream does not know the repository (404).
   * Fails with a {@link RegistryException} saying what went wrong.
   */
  public CompletableFuture<List<String>> tags(UpstreamConfig upstream, String repository) {
    return tags(null, upstream, null, repository);
  }

  /**
   * As {@link #tags(UpstreamConfig, String)}, read with {@code creds} (null: the upstream's own) on
   * {@code loop} (null: any), where the future completes.
   */
  public CompletableFuture<List<String>> tags(EventLoop loop, UpstreamConfig upstream, UpstreamCredentials creds,
      String repository) {
    return page(loop, upstream, creds, repository, "/v2/" + repository + "/tags/list?n=1000", new ArrayList<>(), 0);
  }

  private CompletableFuture<List<String>> page(EventLoop loop, UpstreamConfig upstream, UpstreamCredentials creds,
      String repository, String path, List<String> tags, int pages) {
    UpstreamRequest get = new UpstreamRequest("GET", path, repository,
        Map.of(HttpHeaderNames.ACCEPT.toString(), "application/json"), false);
    CompletableFuture<UpstreamResponse> answer = loop == null ? client.fetch(upstream, creds, get, MAX_PAGE_BYTES)
        : client.fetch(loop, upstream, creds, get, MAX_PAGE_BYTES);
    return answer.thenCompose(r -> {
      if (r.status() == 404) {
        return CompletableFuture.completedFuture(List.copyOf(tags));
      }
      if (r.status() != 200) {
        throw new CompletionException(RegistryErrors.fromUpstream(r.status(), RegistryError.UPSTREAM_FAILED,
            "listing the tags of " + repository, r.headers().get(HttpHeaderNames.RETRY_AFTER)));
      }
      try {
        for (JsonNode t : json.readTree(r.body()).path("tags")) {
          tags.add(t.asText());
        }
      } catch (IOException e) {
        throw failure("the upstream registry sent a malformed tag list for " + repository);
      }
      String next = next(upstream, path, r.headers().get("Link"));
      if (next == null || pages + 1 >= MAX_PAGES) {
        return CompletableFuture.completedFuture(List.copyOf(tags));
      }
      return page(loop, upstream, creds, repository, next, tags, pages + 1);
    });
  }

  /**
   * The path and query of the next page named by {@code link}, or null for none. A next page at
   * another origin is refused: the upstream's credentials do not go there.
   */
  private static String next(UpstreamConfig upstream, String path, String link) {
    if (link == null) {
      return null;
    }
    Matcher m = NEXT_LINK.matcher(link);
    if (!m.find()) {
      return null;
    }
    URI next;
    try {
      next = upstream.url().resolve(path).resolve(m.group(1).trim());
      if (!Origin.of(next).equals(Origin.of(upstream.url()))) {
        throw failure("the upstream registry's next page of tags is at another origin");
      }
    } catch (IllegalArgumentException e) {
      throw failure("the upstream registry sent an invalid next page link");
    }
    return Origin.pathAndQuery(next);
  }

  private static CompletionException failure(String message) {
    return new CompletionException(new RegistryException(RegistryError.UPSTREAM_FAILED, message));
  }
}
