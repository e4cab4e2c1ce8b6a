package io.turnstile.proxy.token;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.turnstile.proxy.oci.Denial;
import io.turnstile.proxy.oci.RegistryError;
import io.turnstile.proxy.oci.RegistryException;
import io.turnstile.store.Access;
import io.turnstile.store.AuthResult;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.Principal;
import io.turnstile.store.Refusal;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
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

  /** Most grants (distinct scope sets) one credential keeps a reusable token for. */
  static final int REUSE_PER_CREDENTIAL = 8;
  /** Bound on the bytes of reusable tokens kept, over all credentials. */
  static final long REUSE_MAX_BYTES = 32L << 20;

  /**
   * One token request, decoded from HTTP.
   *
   * @param client the client's address, for login throttling; null when unknown
   */
  public record Request(String method, Map<String, List<String>> query, Map<String, List<String>> form,
      String authorization, InetAddress client) {}

  /**
   * A token answer: its JSON body and whom it was issued to (for the access log).
   */
  public record Granted(ObjectNode body, Principal principal) {}

  /** An access token handed out recently, reused for the same key and grant. */
  /** {@code keys}: the signing keys in use when it was signed; after a rotation it is not handed out again. */
  private record Issued(String scopeText, String token, Instant issuedAt, SigningKeys keys) {}

  /**
   * The tokens recently handed out for one credential, newest first, at most {@link
   * #REUSE_PER_CREDENTIAL}: one license cannot grow the cache by asking for many scope sets.
   */
  private record Recent(List<Issued> issued) {
    Issued find(String scopeText) {
      for (Issued i : issued) {
        if (i.scopeText().equals(scopeText)) {
          return i;
        }
      }
      return null;
    }

    Recent with(Issued fresh) {
      List<Issued> next = new ArrayList<>(REUSE_PER_CREDENTIAL);
      next.add(fresh);
      for (Issued i : issued) {
        if (next.size() < REUSE_PER_CREDENTIAL && !i.scopeText().equals(fresh.scopeText())) {
          next.add(i);
        }
      }
      return new Recent(List.copyOf(next));
    }

    int weight() {
      int w = 64;
      for (Issued i : issued) {
        w += 2 * (i.token().length() + i.scopeText().length()) + 96;
      }
      return w;
    }
  }

  private final LoginGuard logins;
  private final LicenseStore store;
  private final TokenService tokens;
  private final ObjectMapper json;
  private final Clock clock;
  private final Duration reuse;
  private final Cache<String, Recent> recent;

  public TokenEndpoint(LicenseStore store, LoginGuard logins, TokenService tokens, ObjectMapper json, Clock clock) {
    this.store = store;
    this.logins = logins;
    this.tokens = tokens;
    this.json = json;
    this.clock = clock;
    // Many nodes pulling with one pull secret ask for the same grant over and over: hand out the
    // same token for a while instead of signing anew. Revocation is unaffected (every request is
    // checked against the live licenses) and every answer keeps at least 60 s of lifetime.
    Duration spare = tokens.ttl().minusSeconds(60);
    this.reuse = spare.compareTo(Duration.ofSeconds(60)) > 0 ? Duration.ofSeconds(60) : spare.isNegative() ? Duration.ZERO : spare;
    this.recent = Caffeine.newBuilder()
        .maximumWeight(REUSE_MAX_BYTES)
        .weigher((String credential, Recent r) -> r.weight())
        .expireAfterWrite(reuse.isZero() ? Duration.ofNanos(1) : reuse)
        .build();
  }

  /**
   * The token answer's JSON body.
   *
   * @throws RegistryException the refusal, with its OAuth2 error name (and a Basic challenge for
   *     401, {@code Retry-After} for 429)
   */
  public Granted handle(Request r) throws RegistryException {
    return switch (r.method()) {
      case "GET" -> get(r);
      case "POST" -> post(r);
      default -> throw error(RegistryError.UNSUPPORTED, "unsupported", "use GET or POST");
    };
  }

  private Granted get(Request r) throws RegistryException {
    Map<String, List<String>> q = r.query();
    BasicCredentials creds;
    try {
      creds = BasicCredentials.parse(r.authorization());
    } catch (BasicCredentials.MalformedException e) {
      throw unauthorized(e.getMessage(), Denial.BAD_CREDENTIALS);
    }
    if (creds == null) {
      throw unauthorized("authentication required: log in with your license id and key", Denial.NO_CREDENTIALS);
    }
    checkCommon(q);
    String account = first(q, "account");
    if (account != null && !account.isEmpty() && !account.equals(creds.username())) {
      throw error(RegistryError.TOKEN_REQUEST_INVALID, "invalid_request", "account does not match the authenticated user");
    }
    AuthResult result = throttled(() -> logins.authenticate(creds.username(), creds.password(), r.client()));
    return grant(result, scopes(q), "true".equals(first(q, "offline_token")));
  }

  private Granted post(Request r) throws RegistryException {
    Map<String, List<String>> f = r.form();
    checkCommon(f);
    String grantType = first(f, "grant_type");
    boolean offline = "offline".equals(first(f, "access_type"));
    if ("password".equals(grantType)) {
      String username = first(f, "username");
      String password = first(f, "password");
      if (username == null || password == null) {
        throw error(RegistryError.TOKEN_REQUEST_INVALID, "invalid_request", "grant_type=password needs username and password");
      }
      AuthResult result = throttled(() -> logins.authenticate(username, password, r.client()));
      return grant(result, scopes(f), offline);
    }
    if ("refresh_token".equals(grantType)) {
      String refresh = first(f, "refresh_token");
      if (refresh == null) {
        throw error(RegistryError.TOKEN_REQUEST_INVALID, "invalid_request", "grant_type=refresh_token needs refresh_token");
      }
      String credential;
      try {
        credential = tokens.verifyRefresh(refresh);
      } catch (InvalidTokenException e) {
        throw unauthorized("invalid refresh token: " + e.getMessage(), Denial.INVALID_TOKEN);
      }
      return grant(store.authorizeCredential(credential), scopes(f), offline);
    }
    if (grantType == null) {
      throw error(RegistryError.TOKEN_REQUEST_INVALID, "invalid_request", "grant_type is required");
    }
    throw error(RegistryError.TOKEN_REQUEST_INVALID, "unsupported_grant_type", "grant_type must be password or refresh_token");
  }

  private void checkCommon(Map<String, List<String>> params) throws RegistryException {
    String service = first(params, "service");
    if (service != null && !service.isEmpty() && !service.equals(tokens.service())) {
      throw error(RegistryError.TOKEN_REQUEST_INVALID, "invalid_request", "unknown service '" + service + "'");
    }
    int count = 0;
    for (String s : params.getOrDefault("scope", List.of())) {
      for (String part : s.split(" ")) {
        if (!part.isEmpty() && ++count > MAX_SCOPES) {
          throw error(RegistryError.TOKEN_REQUEST_INVALID, "invalid_scope", "too many scopes (at most " + MAX_SCOPES + ")");
        }
      }
    }
  }

  private Granted grant(AuthResult result, List<Scope> requested, boolean offline) throws RegistryException {
    if (!(result instanceof Access access)) {
      Refusal.Reason reason = ((Refusal) result).reason();
      throw unauthorized(reason.message(), switch (reason) {
        case BAD_CREDENTIALS -> Denial.BAD_CREDENTIALS;
        case LICENSE_REVOKED -> Denial.LICENSE_REVOKED;
        case LICENSE_EXPIRED -> Denial.LICENSE_EXPIRED;
        case TOKEN_EXPIRED -> Denial.TOKEN_EXPIRED;
      });
    }
    // Normalised before anything is keyed by it: resource classes dropped, one scope per
    // resource, sorted. Otherwise every spelling of the same grant would be a new token.
    Map<String, Scope> granted = new TreeMap<>();
    for (Scope s : requested) {
      if (s.type().equals("repository") && s.actions().contains("pull") && access.allowsRepository(s.name())) {
        granted.put("repository:" + s.name(), new Scope("repository", null, s.name(), Set.of("pull")));
      } else if (s.type().equals("registry") && s.name().equals("catalog") && s.actions().contains("*")) {
        granted.put("registry:catalog", new Scope("registry", null, "catalog", Set.of("*")));
      }
    }
    List<Scope> scopes = new ArrayList<>(granted.values());
    String scopeText = scopes.stream().map(Scope::toString).collect(Collectors.joining(" "));
    Instant now = clock.instant();
    String credential = access.principal().credentialId();
    Recent known = reuse.isZero() ? null : recent.getIfPresent(credential);
    Issued issued = known == null ? null : known.find(scopeText);
    SigningKeys keys = tokens.keys();
    if (issued == null || !now.isBefore(issued.issuedAt().plus(reuse)) || issued.keys() != keys) {
      Instant at = now.truncatedTo(ChronoUnit.SECONDS);
      Issued fresh = new Issued(scopeText, tokens.issueAccess(access.principal(), scopes, at), at, keys);
      issued = fresh;
      if (!reuse.isZero()) {
        recent.asMap().compute(credential, (k, r) -> r == null ? new Recent(List.of(fresh)) : r.with(fresh));
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
    return new Granted(body, access.principal());
  }

  private static List<Scope> scopes(Map<String, List<String>> params) {
    return Scope.parseAll(params.getOrDefault("scope", List.of()));
  }

  private static String first(Map<String, List<String>> params, String name) {
    List<String> v = params.get(name);
    return v == null || v.isEmpty() ? null : v.get(0);
  }

  private interface Login {
    AuthResult authenticate() throws RegistryException;
  }

  /** A login through the guard; a throttled one is answered as OAuth2's {@code slow_down}. */
  private static AuthResult throttled(Login login) throws RegistryException {
    try {
      return login.authenticate();
    } catch (RegistryException e) {
      throw e.withOAuthError("slow_down");
    }
  }

  private static RegistryException unauthorized(String message, Denial why) {
    return error(RegistryError.UNAUTHORIZED, "invalid_grant", message)
        .withHeader("WWW-Authenticate", "Basic realm=\"turnstile\"").deniedFor(why);
  }

  private static RegistryException error(RegistryError error, String oauthError, String message) {
    return new RegistryException(error, message).withOAuthError(oauthError).deniedFor(Denial.INVALID_REQUEST);
  }
}
