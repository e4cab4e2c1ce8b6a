package io.turnstile.config;

import com.fasterxml.jackson.annotation.JsonFormat;
import java.net.URI;
import java.util.List;
import java.util.Locale;

/**
 * Sign-in to the vendor console through an OpenID Connect provider (Keycloak, Entra ID, Okta,
 * Google, GitLab...): the authorization code flow with PKCE, {@code state} and {@code nonce}. The
 * provider's endpoints and keys are discovered from {@code issuer}.
 *
 * @param issuer the provider's issuer URL, exactly as its discovery document names it; {@code https}
 *     unless the host is loopback; required
 * @param clientId the client id Turnstile is registered under; required
 * @param clientSecret the client's secret (a confidential client); required, never logged or shown
 * @param scopes scopes asked for; default {@code [openid, profile, email]}; must include {@code openid}
 * @param roleClaim the ID token (or userinfo) claim whose values {@code roles} maps, a string or a
 *     list of strings; default {@code groups}
 * @param roles which claim values give which role; required, at least one value
 */
public record OidcConfig(
    URI issuer,
    String clientId,
    String clientSecret,
    @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<String> scopes,
    String roleClaim,
    OidcRoles roles) {
  public OidcConfig {
    Check.httpUrl("issuer", issuer);
    if (issuer.getQuery() != null || issuer.getFragment() != null) {
      throw new InvalidValueException("issuer", "must have no query or fragment");
    }
    if (!"https".equalsIgnoreCase(issuer.getScheme()) && !isLoopback(issuer.getHost())) {
      throw new InvalidValueException("issuer", "must be https (plain http only on a loopback address)");
    }
    Check.required("clientId", clientId);
    Check.required("clientSecret", clientSecret);
    scopes = scopes == null || scopes.isEmpty() ? List.of("openid", "profile", "email") : List.copyOf(scopes);
    for (int i = 0; i < scopes.size(); i++) {
      if (scopes.get(i) == null || !scopes.get(i).matches("[\\x21\\x23-\\x5B\\x5D-\\x7E]+")) {
        throw new InvalidValueException("scopes[" + i + "]", "is not a valid scope (printable, no spaces or quotes)");
      }
    }
    if (!scopes.contains("openid")) {
      throw new InvalidValueException("scopes", "must include openid");
    }
    roleClaim = roleClaim == null ? "groups" : roleClaim;
    Check.required("roleClaim", roleClaim);
    Check.required("roles", roles);
  }

  private static boolean isLoopback(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    return h.equals("localhost") || h.matches("127(\\.[0-9]{1,3}){3}") || h.equals("[::1]");
  }

  @Override
  public String toString() {
    return "OidcConfig[issuer=" + issuer + ", clientId=" + clientId + ", clientSecret=***, scopes=" + scopes
        + ", roleClaim=" + roleClaim + ", roles=" + roles + "]";
  }
}
