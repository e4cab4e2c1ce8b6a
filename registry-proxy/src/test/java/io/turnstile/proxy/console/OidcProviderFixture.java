package io.turnstile.proxy.console;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;
import no.nav.security.mock.oauth2.http.MockWebServerWrapper;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import no.nav.security.mock.oauth2.token.KeyProvider;
import no.nav.security.mock.oauth2.token.OAuth2TokenProvider;
import no.nav.security.mock.oauth2.http.OAuth2HttpRequest;
import no.nav.security.mock.oauth2.http.OAuth2HttpResponse;
import no.nav.security.mock.oauth2.http.Route;
import okhttp3.Headers;

/**
 * An OpenID Connect provider for the console's ITs (mock-oauth2-server, issuer {@code default}),
 * signing with one RSA key at a time under a fresh key id, so a test can rotate the provider's key
 * as a real one does.
 */
final class OidcProviderFixture implements AutoCloseable {
  static final String CLIENT_ID = "turnstile-console";
  static final String CLIENT_SECRET = "oidc-client-secret-never-logged";

  /** The provider's signing keys: one at a time, a new key id at each rotation. */
  static final class RotatingKeys extends KeyProvider {
    private volatile JWK current = generate();

    @Override
    public JWK signingKey(String issuerId) {
      return current;
    }

    @Override
    public JWSAlgorithm algorithm() {
      return JWSAlgorithm.RS256;
    }

    @Override
    public String keyType() {
      return "RSA";
    }

    void rotate() {
      current = generate();
    }

    String keyId() {
      return current.getKeyID();
    }

    JWK current() {
      return current;
    }

    private static JWK generate() {
      try {
        return new RSAKeyGenerator(2048).keyID(UUID.randomUUID().toString()).generate();
      } catch (JOSEException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** The token endpoint's next answer, when a test scripts it; taken once. */
  static final class ScriptedTokenAnswer implements Route {
    private final AtomicReference<String> next = new AtomicReference<>();

    @Override
    public boolean match(OAuth2HttpRequest request) {
      return next.get() != null && request.getMethod().equals("POST") && request.getUrl().encodedPath().endsWith("/token");
    }

    @Override
    public OAuth2HttpResponse invoke(OAuth2HttpRequest request) {
      return new OAuth2HttpResponse(Headers.of("Content-Type", "application/json"), 200, next.getAndSet(null), null);
    }
  }

  final RotatingKeys keys = new RotatingKeys();
  private final ScriptedTokenAnswer tokenAnswer = new ScriptedTokenAnswer();
  final MockOAuth2Server server;

  OidcProviderFixture() {
    OAuth2Config config = new OAuth2Config(false, null, null, false,
        new OAuth2TokenProvider(keys), Set.of(), new MockWebServerWrapper());
    server = new MockOAuth2Server(config, tokenAnswer);
    server.start();
  }

  String issuer() {
    return server.issuerUrl("default").toString();
  }

  /** The {@code admin} keys that sign the console in through this provider. */
  String adminYaml() {
    return """
          publicUrl: http://turnstile-admin.test
          oidc:
            issuer: %s
            clientId: %s
            clientSecret: ${OIDC_SECRET}
            roles:
              admin: [turnstile-admins]
              editor: [turnstile-editors]
              viewer: [turnstile-viewers, support]
        """.formatted(issuer(), CLIENT_ID);
  }

  Map<String, String> env() {
    return Map.of("OIDC_SECRET", CLIENT_SECRET);
  }

  /** The next sign-in's ID token: for {@code subject}, with {@code claims}, expiring in {@code expirySeconds}. */
  void next(String issuerId, String subject, Map<String, Object> claims, long expirySeconds) {
    server.enqueueCallback(new DefaultOAuth2TokenCallback(issuerId, subject, "JWT", List.of(CLIENT_ID), claims,
        expirySeconds));
  }

  /** The next sign-in: a person with a verified e-mail address in {@code groups}. */
  void nextPerson(String email, String... groups) {
    next("default", "sub-" + email, Map.of("email", email, "email_verified", true, "groups", List.of(groups)), 3600);
  }

  /**
   * Makes the provider's next answer at its token endpoint one with this ID token: signed with the
   * provider's key, for this client, with {@code nonce}, issued and expiring when given.
   */
  void answerTokenRequestWithIdToken(String nonce, Instant issued, Instant expires) throws JOSEException {
    JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(issuer()).subject("late").audience(CLIENT_ID)
        .issueTime(Date.from(issued)).notBeforeTime(Date.from(issued)).expirationTime(Date.from(expires))
        .claim("nonce", nonce).claim("groups", List.of("turnstile-admins")).build();
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(keys.keyId()).build(), claims);
    jwt.sign(new RSASSASigner(keys.current().toRSAKey()));
    tokenAnswer.next.set("{\"access_token\":\"opaque\",\"token_type\":\"Bearer\",\"expires_in\":3600,"
        + "\"id_token\":\"" + jwt.serialize() + "\"}");
  }

  @Override
  public void close() {
    server.shutdown();
  }
}
