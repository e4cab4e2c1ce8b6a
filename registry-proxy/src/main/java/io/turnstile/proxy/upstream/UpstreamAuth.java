package io.turnstile.proxy.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.turnstile.config.UpstreamConfig;
import io.turnstile.store.UpstreamCredentials;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * How Turnstile authenticates to an upstream: Basic with the credentials in use, or the Bearer
 * token dance (GET the realm named in the upstream's challenge, with those credentials, for a
 * {@code repository:<name>:pull} scope). Which of the two an upstream wants is learned from its
 * first challenge; tokens are cached per {@link UpstreamIdentity} (upstream, user and password
 * hash) and scope until shortly before they expire, so a pull costs no extra round trips and a
 * token earned with one password never serves another.
 */
public final class UpstreamAuth {
  private static final Duration MARGIN = Duration.ofSeconds(30);

  /** A bearer token and when to stop using it. */
  record Token(String value, Instant useUntil) {}

  /** What a token is cached under. */
  private record TokenKey(UpstreamIdentity who, String scope) {}

  private final HttpClient http;
  private final ObjectMapper json;
  private final Clock clock;
  /** The Bearer challenge learned from an upstream, per identity at it. */
  private final Cache<UpstreamIdentity, Challenge> bearerRealms = Caffeine.newBuilder().maximumSize(50_000).build();
  private final Cache<TokenKey, CompletableFuture<Token>> tokens;

  public UpstreamAuth(ObjectMapper json, Clock clock, Executor executor) {
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).executor(executor)
        .followRedirects(HttpClient.Redirect.NORMAL).build();
    this.json = json;
    this.clock = clock;
    this.tokens = Caffeine.newBuilder()
        .maximumSize(50_000)
        .expireAfter(new Expiry<TokenKey, CompletableFuture<Token>>() {
          @Override
          public long expireAfterCreate(TokenKey key, CompletableFuture<Token> value, long now) {
            if (!value.isDone()) {
              return Duration.ofMinutes(1).toNanos();
            }
            Token t = value.getNow(null);
            return t == null ? 0 : Math.max(0, Duration.between(clock.instant(), t.useUntil()).toNanos());
          }

          @Override
          public long expireAfterUpdate(TokenKey key, CompletableFuture<Token> value, long now, long current) {
            return expireAfterCreate(key, value, now);
          }

          @Override
          public long expireAfterRead(TokenKey key, CompletableFuture<Token> value, long now, long current) {
            if (value.isDone() && current > Duration.ofMinutes(1).toNanos() - 1000) {
              return expireAfterCreate(key, value, now);
            }
            return current;
          }
        })
        .build();
  }

  /**
   * The Authorization header for a request to {@code repository}, or null for none. Completes at
   * once unless a token must be fetched.
   */
  public CompletableFuture<String> authorization(UpstreamConfig upstream, UpstreamCredentials creds, String repository) {
    Challenge bearer = bearerRealms.getIfPresent(UpstreamIdentity.of(upstream, creds));
    if (bearer == null) {
      return CompletableFuture.completedFuture(creds == null ? null : basic(creds));
    }
    return token(upstream, creds, repository, bearer).thenApply(t -> "Bearer " + t.value());
  }

  /**
   * Learns from a 401's challenge. Returns the header to retry with, or null when a retry cannot
   * help (the upstream rejected the credentials themselves).
   */
  public CompletableFuture<String> afterChallenge(UpstreamConfig upstream, UpstreamCredentials creds, String repository,
      String wwwAuthenticate, String rejectedAuthorization) {
    Challenge c = Challenge.parse(wwwAuthenticate);
    if (c == null || !c.scheme().equals("bearer") || c.param("realm") == null) {
      return CompletableFuture.completedFuture(null);
    }
    UpstreamIdentity who = UpstreamIdentity.of(upstream, creds);
    bearerRealms.put(who, c);
    TokenKey tokenKey = new TokenKey(who, scope(repository));
    if (rejectedAuthorization != null && rejectedAuthorization.startsWith("Bearer ")) {
      // The token we used was refused (expired early, or revoked): fetch a fresh one, once.
      CompletableFuture<Token> cached = tokens.getIfPresent(tokenKey);
      if (cached != null && cached.isDone() && !cached.isCompletedExceptionally()
          && rejectedAuthorization.equals("Bearer " + cached.join().value())) {
        tokens.invalidate(tokenKey);
      } else {
        return CompletableFuture.completedFuture(null);
      }
    }
    return token(upstream, creds, repository, c).thenApply(t -> "Bearer " + t.value());
  }

  private CompletableFuture<Token> token(UpstreamConfig upstream, UpstreamCredentials creds, String repository,
      Challenge challenge) {
    TokenKey key = new TokenKey(UpstreamIdentity.of(upstream, creds), scope(repository));
    CompletableFuture<Token> f = tokens.get(key, k -> fetch(upstream, creds, challenge, k.scope()));
    return f.whenComplete((t, e) -> {
      if (e != null) {
        tokens.asMap().remove(key, f);
      } else {
        tokens.put(key, f);
      }
    });
  }

  private CompletableFuture<Token> fetch(UpstreamConfig upstream, UpstreamCredentials creds, Challenge challenge,
      String scope) {
    String realm = challenge.param("realm");
    StringBuilder uri = new StringBuilder(realm).append(realm.contains("?") ? '&' : '?');
    if (challenge.param("service") != null) {
      uri.append("service=").append(URLEncoder.encode(challenge.param("service"), StandardCharsets.UTF_8)).append('&');
    }
    uri.append("scope=").append(URLEncoder.encode(scope, StandardCharsets.UTF_8));
    HttpRequest.Builder b;
    try {
      b = HttpRequest.newBuilder(URI.create(uri.toString())).timeout(upstream.readTimeout()).GET();
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(new IOException("the upstream's token realm is not a valid URL"));
    }
    if (creds != null) {
      b.header("Authorization", basic(creds));
    }
    Instant asked = clock.instant();
    return http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofByteArray()).thenApply(r -> {
      if (r.statusCode() == 401 || r.statusCode() == 403) {
        throw new UpstreamAuthException("the upstream's token service rejected the credentials (" + r.statusCode() + ")");
      }
      if (r.statusCode() != 200) {
        throw new UpstreamAuthException("the upstream's token service answered " + r.statusCode());
      }
      try {
        JsonNode body = json.readTree(r.body());
        String token = body.path("token").asText(body.path("access_token").asText(""));
        if (token.isEmpty()) {
          token = body.path("access_token").asText("");
        }
        if (token.isEmpty()) {
          throw new UpstreamAuthException("the upstream's token service returned no token");
        }
        long expiresIn = Math.max(60, body.path("expires_in").asLong(60));
        Instant until = asked.plusSeconds(expiresIn).minus(MARGIN);
        return new Token(token, until);
      } catch (IOException e) {
        throw new UpstreamAuthException("the upstream's token service returned malformed JSON");
      }
    });
  }

  private static String scope(String repository) {
    return "repository:" + repository + ":pull";
  }

  static String basic(UpstreamCredentials creds) {
    return "Basic " + Base64.getEncoder().encodeToString(
        (creds.username() + ":" + creds.password()).getBytes(StandardCharsets.UTF_8));
  }

  /** The upstream's token service said no. */
  public static final class UpstreamAuthException extends RuntimeException {
    public UpstreamAuthException(String message) {
      super(message, null, false, false);
    }
  }
}
