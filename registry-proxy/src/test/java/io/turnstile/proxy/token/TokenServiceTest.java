package io.turnstile.proxy.token;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.turnstile.config.TokenConfig;
import io.turnstile.store.CustomerId;
import io.turnstile.store.LicenseId;
import io.turnstile.store.Principal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.Provider;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenServiceTest {
  @TempDir Path dir;
  private final Instant t0 = Instant.parse("2026-06-01T12:00:00Z");
  private final Principal principal = new Principal("lic_1", new CustomerId("cus_1"), new LicenseId("lic_1"), "lk_1");
  private SigningKeys keys;
  private TokenService tokens;

  @BeforeEach
  void setUp() throws Exception {
    keys = SigningKeys.load(List.of(dir.resolve("key.pem")), "ES256");
    tokens = service(keys, t0);
  }

  /** Signs and verifies the tokens under test; {@link Jdk} runs every test with the JDK's providers. */
  Provider provider() {
    return SignatureProvider.nativeOrNull();
  }

  /** The same tests with the JDK's providers, as on a machine where the native one cannot load. */
  static class Jdk extends TokenServiceTest {
    @Override
    Provider provider() {
      return null;
    }
  }

  private TokenService service(SigningKeys keys, Instant now) {
    return service(keys, TokenConfig.defaults(), now, TokenService.VERIFIED_MAX_BYTES);
  }

  private TokenService service(SigningKeys keys, TokenConfig config, Instant now, long maxBytes) {
    return new TokenService(KeyRing.fixed(keys), config, Clock.fixed(now, ZoneOffset.UTC), maxBytes, provider());
  }

  @Test
  void tokensSignedByOneProvider_verifyWithTheOther() throws Exception {
    Clock clock = Clock.fixed(t0, ZoneOffset.UTC);
    TokenService jdk = new TokenService(KeyRing.fixed(keys), TokenConfig.defaults(), clock,
        TokenService.VERIFIED_MAX_BYTES, null);
    for (SigningKeys k : List.of(keys, SigningKeys.load(List.of(dir.resolve("rsa.pem")), "RS256"))) {
      TokenService ours = service(k, t0);
      TokenService plain = new TokenService(KeyRing.fixed(k), TokenConfig.defaults(), clock,
          TokenService.VERIFIED_MAX_BYTES, null);
      String signedHere = ours.issueAccess(principal, List.of(), t0);
      String signedByJdk = plain.issueAccess(principal, List.of(), t0);
      assertThat(plain.verifyAccess(signedHere).subject()).isEqualTo("lic_1");
      assertThat(ours.verifyAccess(signedByJdk).subject()).isEqualTo("lic_1");
    }
    assertThat(jdk.signatureProvider()).isEqualTo("the JDK's providers");
  }

  @Test
  void nativeSignatures_loadOnX8664Linux() {
    if (getClass() == TokenServiceTest.class && System.getProperty("os.name").equals("Linux")
        && System.getProperty("os.arch").equals("amd64")) {
      assertThat(provider()).as("the native provider on this platform").isNotNull();
      assertThat(SignatureProvider.describe(provider())).contains("native");
    }
    assertThat(tokens.signatureProvider()).isEqualTo(SignatureProvider.describe(provider()));
  }

  private String pullToken(String repo) {
    return tokens.issueAccess(principal, List.of(new Scope("repository", null, repo, Set.of("pull"))), t0);
  }

  @Test
  void verifiedTokenCacheIsBoundedByBytesNotEntries() throws Exception {
    TokenService small = service(keys, TokenConfig.defaults(), t0, 64 * 1024);
    for (int i = 0; i < 300; i++) {
      String token = small.issueAccess(principal,
          List.of(new Scope("repository", null, "vendor/app" + i, Set.of("pull"))), t0);
      assertThat(small.verifyAccess(token).pullRepositories()).containsExactly("vendor/app" + i);
    }
    assertThat(small.verifiedWeight()).isPositive().isLessThanOrEqualTo(64 * 1024);
  }

  @Test
  void generatedKey_isPrivateAndCarriesItsCertificate() throws Exception {
    assertThat(Files.getPosixFilePermissions(dir.resolve("key.pem")))
        .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    assertThat(Files.readString(dir.resolve("key.pem"))).contains("BEGIN PRIVATE KEY", "BEGIN CERTIFICATE");
    assertThat(keys.certificatePem()).contains("BEGIN CERTIFICATE").doesNotContain("PRIVATE");
    assertThat(keys.publicJwks().getKeys().get(0).isPrivate()).isFalse();
    SigningKeys again = SigningKeys.load(List.of(dir.resolve("key.pem")), "ES256");
    assertThat(again.signingKey().getKeyID()).isEqualTo(keys.signingKey().getKeyID());
  }

  @Test
  void accessToken_hasTheHeaderAndClaimsDistributionExpects() throws Exception {
    SignedJWT jwt = SignedJWT.parse(pullToken("vendor/app"));
    assertThat(jwt.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.ES256);
    assertThat(jwt.getHeader().getType()).isEqualTo(JOSEObjectType.JWT);
    assertThat(jwt.getHeader().getKeyID()).isEqualTo(keys.signingKey().computeThumbprint().toString());
    assertThat(jwt.getHeader().getX509CertChain()).hasSize(1);
    JWTClaimsSet c = jwt.getJWTClaimsSet();
    assertThat(c.getIssuer()).isEqualTo("turnstile");
    assertThat(c.getSubject()).isEqualTo("lic_1");
    assertThat(c.getAudience()).containsExactly("turnstile");
    assertThat(c.getExpirationTime().toInstant()).isEqualTo(t0.plus(Duration.ofMinutes(5)));
    assertThat(c.getNotBeforeTime()).isNotNull();
    assertThat(c.getIssueTime()).isNotNull();
    assertThat(c.getJWTID()).isNotBlank();
    assertThat(c.getClaim("access").toString()).isEqualTo("[{type=repository, name=vendor/app, actions=[pull]}]");
    assertThat(jwt.getPayload().toString()).contains("\"aud\":\"turnstile\"");
  }

  @Test
  void validToken_verifiesWithItsGrant() throws Exception {
    VerifiedToken v = tokens.verifyAccess(pullToken("vendor/app"));
    assertThat(v.subject()).isEqualTo("lic_1");
    assertThat(v.credentialId()).isEqualTo("lk_1");
    assertThat(v.pullRepositories()).containsExactly("vendor/app");
    assertThat(v.catalog()).isFalse();
  }

  @Test
  void algNone_isRejected() {
    String[] parts = pullToken("vendor/app").split("\\.");
    String none = Base64URL.encode("{\"alg\":\"none\",\"typ\":\"JWT\"}").toString() + "." + parts[1] + ".";
    assertThatThrownBy(() -> tokens.verifyAccess(none)).isInstanceOf(InvalidTokenException.class);
  }

  @Test
  void hmacWithOurKeyId_isRejected() throws Exception {
    SignedJWT hmac = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).type(JOSEObjectType.JWT)
        .keyID(keys.signingKey().getKeyID()).build(), SignedJWT.parse(pullToken("vendor/app")).getJWTClaimsSet());
    hmac.sign(new MACSigner("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8)));
    assertThatThrownBy(() -> tokens.verifyAccess(hmac.serialize()))
        .isInstanceOf(InvalidTokenException.class).hasMessage("token algorithm not accepted");
  }

  @Test
  void tokenFromAnotherKey_isRejected_evenUnderOurKeyId() throws Exception {
    SigningKeys other = SigningKeys.load(List.of(dir.resolve("other.pem")), "ES256");
    String foreign = service(other, t0).issueAccess(principal, List.of(), t0);
    assertThatThrownBy(() -> tokens.verifyAccess(foreign))
        .isInstanceOf(InvalidTokenException.class).hasMessage("token not signed by a known key");

    SignedJWT forged = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(JOSEObjectType.JWT)
        .keyID(keys.signingKey().getKeyID()).build(), SignedJWT.parse(foreign).getJWTClaimsSet());
    forged.sign(new com.nimbusds.jose.crypto.ECDSASigner(other.signingKey().toECKey()));
    assertThatThrownBy(() -> tokens.verifyAccess(forged.serialize()))
        .isInstanceOf(InvalidTokenException.class).hasMessage("bad token signature");
  }

  @Test
  void editedAccessClaim_breaksTheSignature() {
    String[] parts = pullToken("vendor/app").split("\\.");
    String payload = new String(Base64URL.from(parts[1]).decode(), StandardCharsets.UTF_8).replace("vendor/app", "vendor/all");
    String edited = parts[0] + "." + Base64URL.encode(payload) + "." + parts[2];
    assertThatThrownBy(() -> tokens.verifyAccess(edited))
        .isInstanceOf(InvalidTokenException.class).hasMessage("bad token signature");
  }

  @Test
  void expiredToken_isRejectedAfterTheLeeway() {
    String token = pullToken("vendor/app");
    TokenService later = service(keys, t0.plus(Duration.ofMinutes(5)).plusSeconds(59));
    assertThat(later.ttl()).isEqualTo(Duration.ofMinutes(5));
    org.assertj.core.api.Assertions.assertThatCode(() -> later.verifyAccess(token)).doesNotThrowAnyException();
    TokenService tooLate = service(keys, t0.plus(Duration.ofMinutes(5)).plusSeconds(61));
    assertThatThrownBy(() -> tooLate.verifyAccess(token)).isInstanceOf(InvalidTokenException.class).hasMessage("token expired");
  }

  @Test
  void tokenNotYetValid_isRejected() {
    String token = tokens.issueAccess(principal, List.of(), t0.plus(Duration.ofMinutes(10)));
    assertThatThrownBy(() -> tokens.verifyAccess(token)).hasMessage("token not yet valid");
  }

  @Test
  void wrongAudienceOrIssuer_isRejected() throws Exception {
    TokenService otherService = service(keys, new TokenConfig(null, null, null, "elsewhere", null, null), t0, TokenService.VERIFIED_MAX_BYTES);
    String token = otherService.issueAccess(principal, List.of(), t0);
    assertThatThrownBy(() -> tokens.verifyAccess(token)).hasMessage("wrong token audience");
    TokenService otherIssuer = service(keys, new TokenConfig(null, null, null, null, "someone", null), t0, TokenService.VERIFIED_MAX_BYTES);
    assertThatThrownBy(() -> tokens.verifyAccess(otherIssuer.issueAccess(principal, List.of(), t0)))
        .hasMessage("wrong token issuer");
  }

  @Test
  void refreshAndAccessTokens_areNotInterchangeable() throws Exception {
    String refresh = tokens.issueRefresh(principal, t0);
    assertThat(tokens.verifyRefresh(refresh)).isEqualTo("lk_1");
    assertThatThrownBy(() -> tokens.verifyAccess(refresh)).hasMessage("wrong token type");
    assertThatThrownBy(() -> tokens.verifyRefresh(pullToken("vendor/app"))).hasMessage("wrong token type");
  }

  @Test
  void refreshToken_expiresAfterRefreshTtl() throws Exception {
    String refresh = tokens.issueRefresh(principal, t0);
    assertThat(SignedJWT.parse(refresh).getJWTClaimsSet().getExpirationTime())
        .isEqualTo(Date.from(t0.plus(Duration.ofDays(30))));
    assertThatThrownBy(() -> service(keys, t0.plus(Duration.ofDays(31))).verifyRefresh(refresh))
        .hasMessage("token expired");
  }

  @Test
  void garbage_isMalformed() {
    for (String bad : List.of("", "abc", "a.b.c", "x".repeat(20_000), "eyJhbGciOiJFUzI1NiJ9..")) {
      assertThatThrownBy(() -> tokens.verifyAccess(bad)).as(bad).isInstanceOf(InvalidTokenException.class);
    }
  }

  @Test
  void secondKeyVerifies_firstSigns() throws Exception {
    SigningKeys old = keys;
    String oldToken = pullToken("vendor/app");
    SigningKeys rotated = SigningKeys.load(List.of(dir.resolve("new.pem"), dir.resolve("key.pem")), "ES256");
    TokenService next = service(rotated, t0);
    assertThat(next.verifyAccess(oldToken).subject()).isEqualTo("lic_1");
    String fresh = next.issueAccess(principal, List.of(), t0);
    assertThat(SignedJWT.parse(fresh).getHeader().getKeyID()).isNotEqualTo(old.signingKey().getKeyID());
    assertThat(rotated.publicJwks().getKeys()).hasSize(2);
  }

  @Test
  void rs256Keys_work() throws Exception {
    SigningKeys rsa = SigningKeys.load(List.of(dir.resolve("rsa.pem")), "RS256");
    TokenService t = service(rsa, t0);
    String token = t.issueAccess(principal, List.of(), t0);
    assertThat(SignedJWT.parse(token).getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.RS256);
    assertThat(t.verifyAccess(token).subject()).isEqualTo("lic_1");
  }
}
