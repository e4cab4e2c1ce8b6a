package io.turnstile.proxy.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.turnstile.config.UpstreamConfig;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small blocking registry client for control-plane reads (listing an upstream's tags for the
 * admin API). It speaks Basic auth and the Bearer token dance: on a Bearer challenge it fetches a
 * token from the realm, with the upstream's credentials when it has any, and retries once.
 */
public final class RegistryHttpClient {
  private static final Pattern NEXT_LINK = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");
  private static final int MAX_PAGES = 100;

  private final HttpClient http;
  private final ObjectMapper json;

  public RegistryHttpClient(ObjectMapper json) {
    this.http = HttpClient.newBuilder()
        .connectTimeout(Duration.ofSeconds(5))
        .followRedirects(HttpClient.Redirect.NORMAL)
        .build();
    this.json = json;
  }

  /** Every tag of {@code repository} at {@code upstream}, following {@code Link} pagination. */
  public List<String> tags(UpstreamConfig upstream, String repository) throws IOException, InterruptedException {
    List<String> tags = new ArrayList<>();
    String base = upstream.baseUrl();
    URI next = URI.create(base + "/v2/" + repository + "/tags/list?n=1000");
    String bearer = null;
    for (int page = 0; next != null && page < MAX_PAGES; page++) {
      HttpResponse<byte[]> response = send(next, upstream, bearer);
      if (response.statusCode() == 401) {
        Challenge challenge = Challenge.parse(response.headers().firstValue("WWW-Authenticate").orElse(null));
        if (challenge != null && challenge.scheme().equals("bearer")) {
          bearer = token(upstream, challenge, "repository:" + repository + ":pull");
          response = send(next, upstream, bearer);
        }
      }
      if (response.statusCode() == 404) {
        return List.of();
      }
      if (response.statusCode() != 200) {
        throw new IOException(upstream.name() + " answered " + response.statusCode() + " for the tag list of " + repository);
      }
      JsonNode body = json.readTree(response.body());
      for (JsonNode t : body.path("tags")) {
        tags.add(t.asText());
      }
      next = response.headers().firstValue("Link").map(link -> {
        Matcher m = NEXT_LINK.matcher(link);
        return m.find() ? URI.create(base).resolve(m.group(1)) : null;
      }).orElse(null);
    }
    return tags;
  }

  private HttpResponse<byte[]> send(URI uri, UpstreamConfig upstream, String bearer)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(upstream.readTimeout()).GET();
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    } else if (upstream.username() != null) {
      b.header("Authorization", basic(upstream.username(), upstream.password()));
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private String token(UpstreamConfig upstream, Challenge challenge, String scope)
      throws IOException, InterruptedException {
    String realm = challenge.param("realm");
    if (realm == null) {
      throw new IOException(upstream.name() + " sent a Bearer challenge without a realm");
    }
    StringBuilder q = new StringBuilder(realm).append(realm.contains("?") ? '&' : '?');
    if (challenge.param("service") != null) {
      q.append("service=").append(URLEncoder.encode(challenge.param("service"), StandardCharsets.UTF_8)).append('&');
    }
    q.append("scope=").append(URLEncoder.encode(scope, StandardCharsets.UTF_8));
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(q.toString())).timeout(upstream.readTimeout()).GET();
    if (upstream.username() != null) {
      b.header("Authorization", basic(upstream.username(), upstream.password()));
    }
    HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() != 200) {
      throw new IOException(upstream.name() + "'s token endpoint answered " + r.statusCode());
    }
    JsonNode body = json.readTree(r.body());
    String token = body.path("token").asText(body.path("access_token").asText(null));
    if (token == null || token.isEmpty()) {
      throw new IOException(upstream.name() + "'s token endpoint returned no token");
    }
    return token;
  }

  private static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }
}
