package io.turnstile.proxy.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.netty.channel.EventLoop;
import io.turnstile.config.UpstreamConfig;
import io.turnstile.store.UpstreamCredentials;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;

/**
 * How Turnstile authenticates to an upstream: Basic with the credentials in use, or the Bearer
 * token dance (GET the realm named in the upstream's challenge, with those credentials, for a
 * {@code repository:<name>:pull} scope). Which of the two an upstream wants is learned from its
 * first challenge; tokens are cached per {@link UpstreamIdentity} (upstream, user and password
 * hash) and scope until shortly before they expire, so a pull costs no extra round trips and a
 * token earned with one password never serves another. Tokens are fetched through the upstream
 * client ({@link RealmCall}), under the same TLS, timeout, redirect and credential policy as every
 * other upstream call.
 */
final class UpstreamAuth {
  private static final Duration MARGIN = Duration.ofSeconds(30);
  /** Largest token answer read; real ones are a few kilobytes. */
  static final int MAX_TOKEN_ANSWER = 64 * 1024;

  /** GETs a token realm on behalf of an upstream; completes on {@code loop}. */
  @FunctionalInterface
  interface RealmCall {
    /**
     * @param realm an absolute http(s) URL
     * @param authorization sent to the realm's origin only; null for none
     */
    CompletableFuture<UpstreamResponse> get(EventLoop loop, UpstreamConfig upstream, URI realm, String authorization,
        int maxBytes);
  }

  /** A bearer token and when to stop using it. */
  record Token(String value, Instant useUntil) {}

  /** What a token is cached under. */
  private record TokenKey(UpstreamIdentity who, String scope) {}

  private final RealmCall realms;
  private final ObjectMapper json;
  private final Clock clock;
  /** The Bearer challenge learned from an upstream, per identity at it. */
  private final Cache<UpstreamIdentity, Challenge> bearerRealms = Caffeine.newBuilder().maximumSize(50_000).build();
  private final Cache<TokenKey, CompletableFuture<Token>> tokens;

  UpstreamAuth(ObjectMapper json, Clock clock, RealmCall realms) {
    this.realms = realms;
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
   * once unless a token must be fetched, which then happens on {@code loop}.
   */
  CompletableFuture<String> authorization(EventLoop loop, UpstreamConfig upstream, UpstreamCredentials creds,
      String repository) {
    Challenge bearer = bearerRealms.getIfPresent(UpstreamIdentity.of(upstream, creds));
    if (bearer == null) {
      return CompletableFuture.completedFuture(creds == null ? null : basic(creds));
    }
    return token(loop, upstream, creds, repository, bearer).thenApply(t -> "Bearer " + t.value());
  }

  /**
   * Learns from a 401's challenge. Returns the header to retry with, or null when a retry cannot
   * help (the upstream rejected the credentials themselves).
   */
  CompletableFuture<String> afterChallenge(EventLoop loop, UpstreamConfig upstream, UpstreamCredentials creds,
      String repository, String wwwAuthenticate, String rejectedAuthorization) {
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
    return token(loop, upstream, creds, repository, c).thenApply(t -> "Bearer " + t.value());
  }

  private CompletableFuture<Token> token(EventLoop loop, UpstreamConfig upstream, UpstreamCredentials creds,
      String repository, Challenge challenge) {
    TokenKey key = new TokenKey(UpstreamIdentity.of(upstream, creds), scope(repository));
    CompletableFuture<Token> f = tokens.get(key, k -> fetch(loop, upstream, creds, challenge, k.scope()));
    return f.whenComplete((t, e) -> {
      if (e != null) {
        tokens.asMap().remove(key, f);
      } else {
        tokens.put(key, f);
      }
    });
  }

  private CompletableFuture<Token> fetch(EventLoop loop, UpstreamConfig upstream, UpstreamCredentials creds,
      Challenge challenge, String scope) {
    String realm = challenge.param("realm");
    StringBuilder uri = new StringBuilder(realm).append(realm.contains("?") ? '&' : '?');
    if (challenge.param("service") != null) {
      uri.append("service=").append(URLEncoder.encode(challenge.param("service"), StandardCharsets.UTF_8)).append('&');
    }
    uri.append("scope=").append(URLEncoder.encode(scope, StandardCharsets.UTF_8));
    URI url;
    try {
      url = URI.create(uri.toString());
      Origin.of(url);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(new UpstreamAuthException("the upstream's token realm is not a valid URL"));
    }
    Instant asked = clock.instant();
    return realms.get(loop, upstream, url, creds == null ? null : basic(creds), MAX_TOKEN_ANSWER)
        .thenApply(r -> token(r, asked));
  }

  private Token token(UpstreamResponse r, Instant asked) {
    if (r.status() == 401 || r.status() == 403) {
      throw new UpstreamAuthException("the upstream's token service rejected the credentials (" + r.status() + ")");
    }
    if (r.status() != 200) {
      throw new UpstreamAuthException("the upstream's token service answered " + r.status());
    }
    try {
      JsonNode body = json.readTree(r.body());
      String token = body.path("token").asText("");
      if (token.isEmpty()) {
        token = body.path("access_token").asText("");
      }
      if (token.isEmpty()) {
        throw new UpstreamAuthException("the upstream's token service returned no token");
      }
      long expiresIn = Math.max(60, body.path("expires_in").asLong(60));
      return new Token(token, asked.plusSeconds(expiresIn).minus(MARGIN));
    } catch (IOException e) {
      throw new UpstreamAuthException("the upstream's token service returned malformed JSON");
    }
  }

  private static String scope(String repository) {
    return "repository:" + repository + ":pull";
  }

  static String basic(UpstreamCredentials creds) {
    return "Basic " + Base64.getEncoder().encodeToString(
        (creds.username() + ":" + creds.password()).getBytes(StandardCharsets.UTF_8));
  }

  /** The upstream's token service said no. */
  static final class UpstreamAuthException extends RuntimeException {
    UpstreamAuthException(String message) {
      super(message, null, false, false);
    }
  }
}
