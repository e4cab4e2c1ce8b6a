package io.turnstile.proxy.token;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.turnstile.store.Access;
import io.turnstile.store.AuthResult;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.Refusal;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The registry token endpoint: {@code GET} with Basic credentials (docker, containers/image, Helm)
 * and {@code POST} with an OAuth2 form (containerd, docker with an identity token). The answer
 * carries the intersection of the requested scopes with what the caller's licenses grant, {@code
 * pull} only; a scope the licenses do not cover is dropped, not an error.
 */
public final class TokenEndpoint {
  /** Most resource scopes one request may ask for. */
  public static final int MAX_SCOPES = 100;

  /** One token request, decoded from HTTP. */
  public record Request(String method, Map<String, List<String>> query, Map<String, List<String>> form,
      String authorization) {}

  /** The answer: status, JSON body and, for 401, a challenge. */
  public record Response(int status, ObjectNode body, String wwwAuthenticate) {}

  /** An access token handed out recently, reused for the same key and grant. */
  private record Issued(String token, Instant issuedAt) {}

  private final LicenseStore store;
  private final TokenService tokens;
  private final ObjectMapper json;
  private final Clock clock;
  private final Duration reuse;
  private final Cache<String, Issued> recent;

  public TokenEndpoint(LicenseStore store, TokenService tokens, ObjectMapper json, Clock clock) {
    this.store = store;
    this.tokens = tokens;
    this.json = json;
    this.clock = clock;
    // Many nodes pulling with one pull secret ask for the same grant over and over: hand out the
    // same token for a while instead of signing anew. Revocation is unaffected (every request is
    // checked against the live licenses) and every answer keeps at least 60 s of lifetime.
    Duration spare = tokens.ttl().minusSeconds(60);
    this.reuse = spare.compareTo(Duration.ofSeconds(60)) > 0 ? Duration.ofSeconds(60) : spare.isNegative() ? Duration.ZERO : spare;
    this.recent = Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(reuse.isZero() ? Duration.ofNanos(1) : reuse).build();
  }

  public Response handle(Request r) {
    return switch (r.method()) {
      case "GET" -> get(r);
      case "POST" -> post(r);
      default -> error(405, "unsupported", "use GET or POST");
    };
  }

  private Response get(Request r) {
    Map<String, List<String>> q = r.query();
    BasicCredentials creds;
    try {
      creds = BasicCredentials.parse(r.authorization());
    } catch (BasicCredentials.MalformedException e) {
      return unauthorized(e.getMessage());
    }
    if (creds == null) {
      return unauthorized("authentication required: log in with your license id and key");
    }
    Response bad = checkCommon(q);
    if (bad != null) {
      return bad;
    }
    String account = first(q, "account");
    if (account != null && !account.isEmpty() && !account.equals(creds.username())) {
      return error(400, "invalid_request", "account does not match the authenticated user");
    }
    return grant(store.snapshot().authenticate(creds.username(), creds.password(), clock.instant()),
        scopes(q), "true".equals(first(q, "offline_token")));
  }

  private Response post(Request r) {
    Map<String, List<String>> f = r.form();
    Response bad = checkCommon(f);
    if (bad != null) {
      return bad;
    }
    String grantType = first(f, "grant_type");
    boolean offline = "offline".equals(first(f, "access_type"));
    Instant now = clock.instant();
    if ("password".equals(grantType)) {
      String username = first(f, "username");
      String password = first(f, "password");
      if (username == null || password == null) {
        return error(400, "invalid_request", "grant_type=password needs username and password");
      }
      return grant(store.snapshot().authenticate(username, password, now), scopes(f), offline);
    }
    if ("refresh_token".equals(grantType)) {
      String refresh = first(f, "refresh_token");
      if (refresh == null) {
        return error(400, "invalid_request", "grant_type=refresh_token needs refresh_token");
      }
      String credential;
      try {
        credential = tokens.verifyRefresh(refresh);
      } catch (InvalidTokenException e) {
        return unauthorized("invalid refresh token: " + e.getMessage());
      }
      return grant(store.snapshot().accessFor(credential, now), scopes(f), offline);
    }
    if (grantType == null) {
      return error(400, "invalid_request", "grant_type is required");
    }
    return error(400, "unsupported_grant_type", "grant_type must be password or refresh_token");
  }

  private Response checkCommon(Map<String, List<String>> params) {
    String service = first(params, "service");
    if (service != null && !service.isEmpty() && !service.equals(tokens.service())) {
      return error(400, "invalid_request", "unknown service '" + service + "'");
    }
    int count = 0;
    for (String s : params.getOrDefault("scope", List.of())) {
      for (String part : s.split(" ")) {
        if (!part.isEmpty() && ++count > MAX_SCOPES) {
          return error(400, "invalid_scope", "too many scopes (at most " + MAX_SCOPES + ")");
        }
      }
    }
    return null;
  }

  private Response grant(AuthResult result, List<Scope> requested, boolean offline) {
    if (!(result instanceof Access access)) {
      return unauthorized(((Refusal) result).reason().message());
    }
    Map<String, Scope> granted = new LinkedHashMap<>();
    for (Scope s : requested) {
      if (s.type().equals("repository") && s.actions().contains("pull") && access.allowsRepository(s.name())) {
        Scope pull = new Scope("repository", s.resourceClass(), s.name(), java.util.Set.of("pull"));
        granted.put("repository:" + s.name(), pull);
      } else if (s.type().equals("registry") && s.name().equals("catalog") && s.actions().contains("*")) {
        granted.put("registry:catalog", new Scope("registry", null, "catalog", java.util.Set.of("*")));
      }
    }
    List<Scope> scopes = new ArrayList<>(granted.values());
    String scopeText = scopes.stream().map(Scope::toString).collect(Collectors.joining(" "));
    Instant now = clock.instant();
    Issued issued = reuse.isZero() ? null : recent.getIfPresent(access.principal().credentialId() + "|" + scopeText);
    if (issued == null || !now.isBefore(issued.issuedAt().plus(reuse))) {
      Instant at = now.truncatedTo(ChronoUnit.SECONDS);
      issued = new Issued(tokens.issueAccess(access.principal(), scopes, at), at);
      if (!reuse.isZero()) {
        recent.put(access.principal().credentialId() + "|" + scopeText, issued);
      }
    }
    long left = tokens.ttl().minus(Duration.between(issued.issuedAt(), now)).toSeconds();
    ObjectNode body = json.createObjectNode()
        .put("token", issued.token())
        .put("access_token", issued.token())
        .put("expires_in", left)
        .put("issued_at", issued.issuedAt().toString())
        .put("scope", scopeText);
    if (offline) {
      body.put("refresh_token", tokens.issueRefresh(access.principal(), now));
    }
    return new Response(200, body, null);
  }

  private static List<Scope> scopes(Map<String, List<String>> params) {
    return Scope.parseAll(params.getOrDefault("scope", List.of()));
  }

  private static String first(Map<String, List<String>> params, String name) {
    List<String> v = params.get(name);
    return v == null || v.isEmpty() ? null : v.get(0);
  }

  private Response unauthorized(String message) {
    Response r = error(401, "invalid_grant", message);
    return new Response(401, r.body(), "Basic realm=\"turnstile\"");
  }

  private Response error(int status, String oauthError, String message) {
    ObjectNode body = json.createObjectNode();
    body.putArray("errors").addObject()
        .put("code", status == 401 ? "UNAUTHORIZED" : status == 405 ? "UNSUPPORTED" : "DENIED")
        .put("message", message);
    body.put("error", oauthError);
    body.put("error_description", message);
    return new Response(status, body, null);
  }
}
