package io.turnstile.proxy.access;

import io.turnstile.proxy.oci.Denial;
import io.turnstile.proxy.oci.RegistryError;
import io.turnstile.proxy.oci.RegistryException;
import io.turnstile.proxy.oci.RegistryPath;
import io.turnstile.proxy.token.BasicCredentials;
import io.turnstile.proxy.token.InvalidTokenException;
import io.turnstile.proxy.token.LoginGuard;
import io.turnstile.proxy.token.TokenService;
import io.turnstile.proxy.token.VerifiedToken;
import io.turnstile.store.Access;
import io.turnstile.store.AuthResult;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.Refusal;
import java.net.InetAddress;

/**
 * Authenticates {@code /v2/} requests. A bearer token is verified (signature, issuer, audience,
 * lifetime), then the key it was issued for is looked up in the live snapshot, so a token issued
 * before a revocation, an expiry or a key rotation stops working at once, not at its {@code exp}.
 * Basic credentials are also accepted directly. Every failure becomes a 401 with a Bearer
 * challenge whose realm is the token endpoint; a repository outside the caller's licenses is
 * {@code insufficient_scope} whether or not it is configured, with either kind of credentials.
 */
public final class RegistryAuthenticator {
  private final LicenseStore store;
  private final LoginGuard logins;
  private final TokenService tokens;
  private final String realm;

  public RegistryAuthenticator(LicenseStore store, LoginGuard logins, TokenService tokens, String publicBaseUrl) {
    this.store = store;
    this.logins = logins;
    this.tokens = tokens;
    this.realm = publicBaseUrl + "/token";
  }

  /** The scope a request on {@code path} needs, or null for none. */
  public static String requiredScope(RegistryPath path) {
    return switch (path.kind()) {
      case BASE -> null;
      case CATALOG -> "registry:catalog:*";
      default -> "repository:" + path.name() + ":pull";
    };
  }

  /**
   * The live access of the caller, if it may make a request needing {@code scope}.
   *
   * @param client the client's address, for login throttling; null when unknown
   * @throws RegistryException {@code 401} with a Bearer challenge, or {@code 429} while Basic logins
   *     from {@code client} are throttled
   */
  public Access authenticate(String authorization, String scope, InetAddress client) throws RegistryException {
    if (authorization == null || authorization.isBlank()) {
      throw challenge(RegistryError.UNAUTHORIZED, "authentication required", scope, null, Denial.NO_CREDENTIALS);
    }
    if (authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
      BasicCredentials creds;
      try {
        creds = BasicCredentials.parse(authorization);
      } catch (BasicCredentials.MalformedException e) {
        throw challenge(RegistryError.UNAUTHORIZED, e.getMessage(), scope, null, Denial.BAD_CREDENTIALS);
      }
      Access access = live(logins.authenticate(creds.username(), creds.password(), client), scope, null);
      String repository = repository(scope);
      if (repository != null && !access.allowsRepository(repository)) {
        // The answer a token without the scope gets, for a configured repository and an unknown
        // one alike: anything else would let a license holder list the vendor's repositories.
        throw challenge(RegistryError.UNAUTHORIZED, "credentials do not grant " + scope, scope, "insufficient_scope",
            Denial.INSUFFICIENT_SCOPE);
      }
      return access;
    }
    if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw challenge(RegistryError.UNAUTHORIZED, "unsupported authorization scheme", scope, null,
          Denial.BAD_CREDENTIALS);
    }
    VerifiedToken token;
    try {
      token = tokens.verifyAccess(authorization.substring(7).trim());
    } catch (InvalidTokenException e) {
      throw challenge(RegistryError.UNAUTHORIZED, e.getMessage(), scope, "invalid_token", Denial.INVALID_TOKEN);
    }
    Access access = live(store.authorizeCredential(token.credentialId()), scope, "invalid_token");
    if (scope != null) {
      String repository = repository(scope);
      boolean covered = repository == null ? token.catalog() : token.pullRepositories().contains(repository);
      if (!covered) {
        throw challenge(RegistryError.UNAUTHORIZED, "token does not grant " + scope, scope, "insufficient_scope",
            Denial.INSUFFICIENT_SCOPE);
      }
    }
    return access;
  }

  /** The repository a {@link #requiredScope} names, or null for the catalog scope. */
  private static String repository(String scope) {
    return scope == null || !scope.startsWith("repository:")
        ? null
        : scope.substring("repository:".length(), scope.length() - ":pull".length());
  }

  private Access live(AuthResult result, String scope, String error) throws RegistryException {
    if (result instanceof Access a) {
      return a;
    }
    Refusal.Reason reason = ((Refusal) result).reason();
    Denial why = switch (reason) {
      case LICENSE_REVOKED -> Denial.LICENSE_REVOKED;
      case LICENSE_EXPIRED -> Denial.LICENSE_EXPIRED;
      case TOKEN_EXPIRED -> Denial.TOKEN_EXPIRED;
      // A token naming a key that is gone is a dead token; a login with a wrong key, bad credentials.
      case BAD_CREDENTIALS -> error == null ? Denial.BAD_CREDENTIALS : Denial.INVALID_TOKEN;
    };
    throw challenge(RegistryError.UNAUTHORIZED, reason.message(), scope,
        reason == Refusal.Reason.BAD_CREDENTIALS && error == null ? null : "invalid_token", why);
  }

  private RegistryException challenge(RegistryError e, String message, String scope, String error, Denial why) {
    StringBuilder h = new StringBuilder("Bearer realm=\"").append(realm)
        .append("\",service=\"").append(tokens.service()).append('"');
    if (scope != null) {
      h.append(",scope=\"").append(scope).append('"');
    }
    if (error != null) {
      h.append(",error=\"").append(error).append('"');
    }
    return new RegistryException(e, message).withHeader("WWW-Authenticate", h.toString()).deniedFor(why);
  }
}
