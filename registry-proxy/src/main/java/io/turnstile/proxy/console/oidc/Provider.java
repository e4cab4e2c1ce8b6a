package io.turnstile.proxy.console.oidc;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.oauth2.sdk.GeneralException;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import com.nimbusds.openid.connect.sdk.validators.IDTokenValidator;
import java.io.IOException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The identity provider as its discovery document describes it, read on first use and kept: a
 * provider that is down when Turnstile starts does not stop it (the admin token still signs in), and
 * the next sign-in asks again. Its signing keys come from its JWKS, cached and fetched again when an
 * ID token names a key the cache lacks, which is how a provider's key rotation reaches Turnstile
 * (Nimbus's {@link JWKSourceBuilder}: a 5 minute cache, at most two fetches per 30 s).
 */
final class Provider {
  /** Connect and read timeout of every call to the provider, in milliseconds. */
  static final int TIMEOUT_MS = 5_000;
  private static final int MAX_JWKS_BYTES = 512 * 1024;
  /** Skew allowed between the provider's clock and Turnstile's for {@code exp} and {@code iat}. */
  private static final int CLOCK_SKEW_S = 60;

  /** The discovered provider: its endpoints, and the validator of its ID tokens. */
  record Discovered(OIDCProviderMetadata metadata, IDTokenValidator validator) {}

  /** How long a failed discovery is answered from memory, so a provider that is down is not asked at every click. */
  private static final long RETRY_AFTER_NANOS = 5_000_000_000L;

  private final Issuer issuer;
  private final ClientID clientId;
  private volatile Discovered discovered;
  /** The last failed discovery and when it failed (System.nanoTime); guarded by {@code this}. */
  private Exception failed;
  private long failedAt;

  Provider(Issuer issuer, ClientID clientId) {
    this.issuer = issuer;
    this.clientId = clientId;
  }

  /** The provider, discovered now when not yet; throws when it cannot be reached or described itself wrongly. */
  Discovered get() throws IOException, GeneralException {
    Discovered d = discovered;
    if (d != null) {
      return d;
    }
    synchronized (this) {
      if (discovered != null) {
        return discovered;
      }
      if (failed != null && System.nanoTime() - failedAt < RETRY_AFTER_NANOS) {
        throw rethrown(failed);
      }
      try {
        discovered = discover();
        failed = null;
        return discovered;
      } catch (IOException | GeneralException e) {
        failed = e;
        failedAt = System.nanoTime();
        throw e;
      }
    }
  }

  private static GeneralException rethrown(Exception e) {
    return new GeneralException(e.getMessage() + " (a moment ago; asked again after 5 s)", e);
  }

  /** The provider if discovered already, else null; never calls it. */
  Discovered known() {
    return discovered;
  }

  private Discovered discover() throws IOException, GeneralException {
    // resolve() checks that the document names the configured issuer exactly.
    OIDCProviderMetadata metadata = OIDCProviderMetadata.resolve(issuer, TIMEOUT_MS, TIMEOUT_MS);
    if (metadata.getJWKSetURI() == null || metadata.getTokenEndpointURI() == null
        || metadata.getAuthorizationEndpointURI() == null) {
      throw new GeneralException("the discovery document of " + issuer + " lacks jwks_uri, token_endpoint or"
          + " authorization_endpoint");
    }
    JWKSource<SecurityContext> keys = JWKSourceBuilder
        .<SecurityContext>create(metadata.getJWKSetURI().toURL(),
            new DefaultResourceRetriever(TIMEOUT_MS, TIMEOUT_MS, MAX_JWKS_BYTES))
        .build();
    IDTokenValidator validator = new IDTokenValidator(issuer, clientId,
        new JWSVerificationKeySelector<>(algorithms(metadata.getIDTokenJWSAlgs()), keys), null);
    validator.setMaxClockSkew(CLOCK_SKEW_S);
    return new Discovered(metadata, validator);
  }

  /**
   * The provider's ID token signature algorithms that use its published keys: never {@code none},
   * and never an HMAC (a shared-secret signature proves nothing the client secret does not).
   */
  private static Set<JWSAlgorithm> algorithms(List<JWSAlgorithm> offered) {
    Set<JWSAlgorithm> out = new LinkedHashSet<>();
    if (offered != null) {
      for (JWSAlgorithm a : offered) {
        if (JWSAlgorithm.Family.SIGNATURE.contains(a)) {
          out.add(a);
        }
      }
    }
    if (out.isEmpty()) {
      out.add(JWSAlgorithm.RS256); // OpenID Connect Discovery: RS256 must be supported
    }
    return out;
  }
}
