package io.turnstile.proxy.token;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.turnstile.config.TokenConfig;
import io.turnstile.store.Principal;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Issues and verifies registry tokens.
 *
 * <p>Access tokens are JWTs as distribution's {@code token} auth expects: header {@code alg},
 * {@code typ: JWT}, {@code kid} (RFC 7638 thumbprint) and {@code x5c}; claims {@code iss, sub, aud,
 * exp, nbf, iat, jti, access}, plus {@code cred}, the key the token was issued for, so that a token
 * dies with its key. Refresh tokens are JWTs of type {@code refresh+jwt} carrying the same {@code
 * cred}; one is never accepted in place of the other.
 *
 * <p>Verification allows only ES256 and RS256 (so {@code alg: none} and HMAC are refused), needs a
 * key of ours by {@code kid}, and checks {@code iss}, {@code aud}, {@code exp} and {@code nbf} with
 * 60 s leeway. Verified access tokens are cached by their full text until they expire, so a pull of
 * many blobs verifies the signature once; the cache is bounded by its estimated bytes ({@value
 * #VERIFIED_MAX_BYTES}).
 */
public final class TokenService {
  static final Duration LEEWAY = Duration.ofSeconds(60);
  private static final JOSEObjectType REFRESH_TYPE = new JOSEObjectType("refresh+jwt");
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
  private static final Set<JWSAlgorithm> ALLOWED = Set.of(JWSAlgorithm.ES256, JWSAlgorithm.RS256);

  private final TokenConfig config;
  private final Clock clock;
  private final KeyRing ring;
  /** Signs and verifies; null for the JDK's providers. */
  private final Provider provider;
  private volatile Crypto crypto;
  private final Cache<String, VerifiedToken> verified;

  /** The signer and verifiers of one set of keys. */
  private record Crypto(SigningKeys keys, JWK signingKey, JWSSigner signer, JWSAlgorithm algorithm,
      Map<String, JWSVerifier> verifiers, Header access, Header refresh) {
    /** The header of tokens of {@code type}. */
    Header header(JOSEObjectType type) {
      return type == REFRESH_TYPE ? refresh : access;
    }

    /** @param provider signs and verifies; null for the JDK's providers */
    static Crypto of(SigningKeys keys, Provider provider) {
      JWK signingKey = keys.signingKey();
      try {
        JWSSigner signer;
        JWSAlgorithm algorithm;
        if (signingKey instanceof ECKey ec) {
          signer = new ECDSASigner(own(ec.toECPrivateKey(), provider), ec.getCurve());
          algorithm = JWSAlgorithm.ES256;
        } else {
          signer = new RSASSASigner(own(((RSAKey) signingKey).toRSAPrivateKey(), provider));
          algorithm = JWSAlgorithm.RS256;
        }
        signer.getJCAContext().setProvider(provider);
        // Without one, each signature would make (and seed) a SecureRandom of its own.
        signer.getJCAContext().setSecureRandom(RANDOM);
        Map<String, JWSVerifier> verifiers = new HashMap<>();
        for (JWK k : keys.all()) {
          JWSVerifier v = k instanceof ECKey ec ? new ECDSAVerifier(own(ec.toECPublicKey(), provider))
              : new RSASSAVerifier(own(((RSAKey) k).toRSAPublicKey(), provider));
          v.getJCAContext().setProvider(provider);
          verifiers.put(k.getKeyID(), v);
        }
        return new Crypto(keys, signingKey, signer, algorithm, Map.copyOf(verifiers),
            Header.of(algorithm, JOSEObjectType.JWT, signingKey), Header.of(algorithm, REFRESH_TYPE, signingKey));
      } catch (JOSEException | GeneralSecurityException e) {
        throw new IllegalStateException("unusable signing key: " + e.getMessage(), e);
      }
    }
  }

  /**
   * A token header, the same for every token of one type and key (its certificate chain makes it
   * most of a token's length), encoded once.
   */
  private record Header(JWSHeader header, String encoded) {
    static Header of(JWSAlgorithm algorithm, JOSEObjectType type, JWK key) {
      JWSHeader h = new JWSHeader.Builder(algorithm).type(type).keyID(key.getKeyID())
          .x509CertChain(key.getX509CertChain()).build();
      return new Header(h, h.toBase64URL().toString());
    }
  }

  /**
   * {@code key} as {@code provider}'s own key object (null: as it is). A provider handed a key of
   * another's converts it at every signature or verification; the native provider's conversion of
   * a P-256 private key costs as much as the signature itself.
   */
  @SuppressWarnings("unchecked")
  private static <K extends Key> K own(K key, Provider provider) throws GeneralSecurityException {
    if (provider == null) {
      return key;
    }
    Key translated = KeyFactory.getInstance(key.getAlgorithm(), provider).translateKey(key);
    Class<?> wanted = key instanceof ECPrivateKey ? ECPrivateKey.class : key instanceof ECPublicKey ? ECPublicKey.class
        : key instanceof RSAPrivateKey ? RSAPrivateKey.class : RSAPublicKey.class;
    return wanted.isInstance(translated) ? (K) translated : key;
  }

  /** Bound on the (estimated) bytes of verified tokens kept. */
  static final long VERIFIED_MAX_BYTES = 32L << 20;

  public TokenService(SigningKeys keys, TokenConfig config, Clock clock) {
    this(KeyRing.fixed(keys), config, clock, VERIFIED_MAX_BYTES);
  }

  public TokenService(KeyRing ring, TokenConfig config, Clock clock) {
    this(ring, config, clock, VERIFIED_MAX_BYTES);
  }

  TokenService(SigningKeys keys, TokenConfig config, Clock clock, long verifiedMaxBytes) {
    this(KeyRing.fixed(keys), config, clock, verifiedMaxBytes);
  }

  TokenService(KeyRing ring, TokenConfig config, Clock clock, long verifiedMaxBytes) {
    this(ring, config, clock, verifiedMaxBytes, config.nativeSignatures() ? SignatureProvider.nativeOrNull() : null);
  }

  /** @param provider signs and verifies tokens; null for the JDK's providers */
  TokenService(KeyRing ring, TokenConfig config, Clock clock, long verifiedMaxBytes, Provider provider) {
    this.config = config;
    this.clock = clock;
    this.ring = ring;
    this.provider = provider;
    this.crypto = Crypto.of(ring.current(), provider);
    this.verified = Caffeine.newBuilder()
        .maximumWeight(verifiedMaxBytes)
        .weigher((String token, VerifiedToken v) -> weight(token, v))
        .expireAfter(new Expiry<String, VerifiedToken>() {
          @Override
          public long expireAfterCreate(String key, VerifiedToken value, long currentTime) {
            long nanos = Duration.between(clock.instant(), value.expiresAt().plus(LEEWAY)).toNanos();
            return Math.max(0, nanos);
          }

          @Override
          public long expireAfterUpdate(String key, VerifiedToken value, long currentTime, long currentDuration) {
            return currentDuration;
          }

          @Override
          public long expireAfterRead(String key, VerifiedToken value, long currentTime, long currentDuration) {
            return currentDuration;
          }
        })
        .build();
  }

  /** Estimated heap bytes of one cached verification: the token's text and what it grants. */
  static int weight(String token, VerifiedToken v) {
    int w = 2 * token.length() + 160;
    for (String name : v.pullRepositories()) {
      w += 2 * name.length() + 64;
    }
    return w;
  }

  /** The estimated bytes the verified-token cache holds now. */
  long verifiedWeight() {
    verified.cleanUp();
    return verified.policy().eviction().map(e -> e.weightedSize().orElse(0L)).orElse(0L);
  }

  /** The crypto of the keys in use now; rebuilt when the ring's keys change. */
  private Crypto crypto() {
    SigningKeys now = ring.current();
    Crypto c = crypto;
    if (c.keys() != now) {
      c = Crypto.of(now, provider);
      crypto = c;
      // A token verified with a key since retired must not live on in the cache.
      verified.invalidateAll();
    }
    return c;
  }

  /** The keys in use now, for the JWKS endpoint. */
  /** What signs and verifies tokens, e.g. for the start-up log. */
  public String signatureProvider() {
    return SignatureProvider.describe(provider);
  }

  public SigningKeys keys() {
    return crypto().keys();
  }

  public Duration ttl() {
    return config.ttl();
  }

  public String service() {
    return config.service();
  }

  /** A signed access token granting {@code scopes} to {@code principal}. */
  public String issueAccess(Principal principal, List<Scope> scopes, Instant now) {
    List<Map<String, Object>> access = new ArrayList<>(scopes.size());
    for (Scope s : scopes) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("type", s.type());
      entry.put("name", s.name());
      entry.put("actions", s.actions().stream().sorted().toList());
      access.add(entry);
    }
    JWTClaimsSet claims = new JWTClaimsSet.Builder()
        .issuer(config.issuer())
        .subject(principal.username())
        .audience(config.service())
        .issueTime(Date.from(now))
        .notBeforeTime(Date.from(now))
        .expirationTime(Date.from(now.plus(config.ttl())))
        .jwtID(UUID.randomUUID().toString())
        .claim("access", access)
        .claim("cred", principal.credentialId())
        .build();
    return sign(JOSEObjectType.JWT, claims);
  }

  /** A refresh token (docker's identity token) for {@code principal}'s current key. */
  public String issueRefresh(Principal principal, Instant now) {
    JWTClaimsSet claims = new JWTClaimsSet.Builder()
        .issuer(config.issuer())
        .subject(principal.username())
        .audience(config.service())
        .issueTime(Date.from(now))
        .expirationTime(Date.from(now.plus(config.refreshTtl())))
        .jwtID(UUID.randomUUID().toString())
        .claim("cred", principal.credentialId())
        .build();
    return sign(REFRESH_TYPE, claims);
  }

  /**
   * The compact JWS of {@code claims}: the header encoded once per key, the claims as Nimbus writes
   * them, and the signature over both.
   */
  private String sign(JOSEObjectType type, JWTClaimsSet claims) {
    Crypto c = crypto();
    Header header = c.header(type);
    String signingInput = header.encoded() + '.'
        + BASE64URL.encodeToString(claims.toString().getBytes(StandardCharsets.UTF_8));
    try {
      return signingInput + '.' + c.signer().sign(header.header(), signingInput.getBytes(StandardCharsets.US_ASCII));
    } catch (JOSEException e) {
      throw new IllegalStateException("signing failed", e);
    }
  }

  /** Verifies an access token; cached by its full text for its lifetime. */
  public VerifiedToken verifyAccess(String token) throws InvalidTokenException {
    Crypto c = crypto();
    VerifiedToken cached = verified.getIfPresent(token);
    Instant now = clock.instant();
    if (cached != null) {
      if (now.isAfter(cached.expiresAt().plus(LEEWAY))) {
        throw new InvalidTokenException("token expired");
      }
      return cached;
    }
    JWTClaimsSet claims = verify(c, token, JOSEObjectType.JWT, now);
    Set<String> pull = new HashSet<>();
    boolean catalog = false;
    Object access = claims.getClaim("access");
    if (access != null && !(access instanceof List<?>)) {
      throw new InvalidTokenException("malformed access claim");
    }
    if (access != null) {
      for (Object o : (List<?>) access) {
        if (!(o instanceof Map<?, ?> m) || !(m.get("type") instanceof String type)
            || !(m.get("name") instanceof String name) || !(m.get("actions") instanceof List<?> actions)) {
          throw new InvalidTokenException("malformed access claim");
        }
        if (type.equals("repository") && actions.contains("pull")) {
          pull.add(name);
        } else if (type.equals("registry") && name.equals("catalog") && actions.contains("*")) {
          catalog = true;
        }
      }
    }
    String cred;
    try {
      cred = claims.getStringClaim("cred");
    } catch (ParseException e) {
      throw new InvalidTokenException("malformed cred claim");
    }
    VerifiedToken v = new VerifiedToken(claims.getSubject(), cred, claims.getExpirationTime().toInstant(),
        Set.copyOf(pull), catalog);
    verified.put(token, v);
    return v;
  }

  /** Verifies a refresh token and returns the credential id it names. */
  public String verifyRefresh(String token) throws InvalidTokenException {
    JWTClaimsSet claims = verify(crypto(), token, REFRESH_TYPE, clock.instant());
    Object cred = claims.getClaim("cred");
    if (!(cred instanceof String s)) {
      throw new InvalidTokenException("malformed refresh token");
    }
    return s;
  }

  private JWTClaimsSet verify(Crypto c, String token, JOSEObjectType expectedType, Instant now)
      throws InvalidTokenException {
    if (token == null || token.length() > 16_384) {
      throw new InvalidTokenException("malformed token");
    }
    SignedJWT jwt;
    JWTClaimsSet claims;
    try {
      jwt = SignedJWT.parse(token);
      claims = jwt.getJWTClaimsSet();
    } catch (ParseException | IllegalArgumentException e) {
      throw new InvalidTokenException("malformed token");
    }
    JWSHeader header = jwt.getHeader();
    if (!ALLOWED.contains(header.getAlgorithm())) {
      throw new InvalidTokenException("token algorithm not accepted");
    }
    if (!expectedType.equals(header.getType())) {
      throw new InvalidTokenException("wrong token type");
    }
    JWSVerifier verifier = header.getKeyID() == null ? null : c.verifiers().get(header.getKeyID());
    if (verifier == null) {
      throw new InvalidTokenException("token not signed by a known key");
    }
    try {
      if (!jwt.verify(verifier)) {
        throw new InvalidTokenException("bad token signature");
      }
    } catch (JOSEException e) {
      throw new InvalidTokenException("bad token signature");
    }
    if (!config.issuer().equals(claims.getIssuer())) {
      throw new InvalidTokenException("wrong token issuer");
    }
    if (claims.getAudience() == null || !claims.getAudience().contains(config.service())) {
      throw new InvalidTokenException("wrong token audience");
    }
    Date exp = claims.getExpirationTime();
    if (exp == null || now.isAfter(exp.toInstant().plus(LEEWAY))) {
      throw new InvalidTokenException("token expired");
    }
    Date nbf = claims.getNotBeforeTime();
    if (nbf != null && now.plus(LEEWAY).isBefore(nbf.toInstant())) {
      throw new InvalidTokenException("token not yet valid");
    }
    return claims;
  }
}
