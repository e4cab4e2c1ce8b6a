package io.turnstile.proxy.licensing;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.turnstile.config.LicenseFilesConfig;
import io.turnstile.proxy.keys.StoredKeyRing;
import io.turnstile.store.Customer;
import io.turnstile.store.EntitlementFields;
import io.turnstile.store.License;
import io.turnstile.store.LicenseState;
import io.turnstile.store.StoredKeys;
import io.turnstile.store.VersionRange;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Signs what an application reads of its license: the license file, a JWT (compact JWS) the
 * customer installs beside the application, and the online check's answer. Both are signed with
 * the current license-signing key (ES256) and name it in {@code kid}; their {@code typ} headers
 * differ, so that neither can be passed off as the other. It also signs the manifest list of an
 * air-gap bundle ({@link #signBundle}), a third {@code typ}.
 *
 * <p>A file is made from the license as it is now, so one downloaded after an edit carries the
 * edit: there is nothing to re-issue by hand. Its claims are listed in the README ("License files
 * and entitlements").
 */
public final class LicenseFiles {
  /** The {@code typ} header of a license file. */
  public static final JOSEObjectType FILE_TYPE = new JOSEObjectType("turnstile-license+jwt");
  /** The {@code typ} header of an online check's answer. */
  public static final JOSEObjectType CHECK_TYPE = new JOSEObjectType("turnstile-license-check+jwt");
  /** The {@code typ} header of an air-gap bundle's signed manifest list. */
  public static final JOSEObjectType BUNDLE_TYPE = new JOSEObjectType("turnstile-bundle+jwt");
  /** The media type of a license file and of a check's answer: a compact JWS. */
  public static final String MEDIA_TYPE = "application/jwt";
  /** How long an online check's answer is good for: an application asks again after that. */
  public static final Duration CHECK_TTL = Duration.ofHours(1);

  private final Supplier<LicenseKeys> keys;
  private final boolean keysInStore;
  private final Supplier<EntitlementFields> entitlements;
  private final String issuer;
  private final Clock clock;

  /**
   * @param keys the keys in use now, asked at each signature so that a rotation takes effect at once
   * @param entitlements the entitlement fields now, configured and defined through the API (the
   *     store's snapshot), asked at each signature so that a file follows a field's change at once
   * @param issuer the {@code iss} claim
   */
  public LicenseFiles(Supplier<LicenseKeys> keys, Supplier<EntitlementFields> entitlements, String issuer,
      Clock clock) {
    this(keys, false, entitlements, issuer, clock);
  }

  /**
   * @param keys the keys in use now, asked at each signature so that a rotation takes effect at once
   * @param keysInStore whether they are kept in the store ({@code licenseFiles.keySource: store}),
   *     so that the admin API rotates them; otherwise files do, and the admin API says how
   * @param entitlements the entitlement fields now, configured and defined through the API (the
   *     store's snapshot), asked at each signature so that a file follows a field's change at once
   * @param issuer the {@code iss} claim
   */
  public LicenseFiles(Supplier<LicenseKeys> keys, boolean keysInStore, Supplier<EntitlementFields> entitlements,
      String issuer, Clock clock) {
    this.keys = keys;
    this.keysInStore = keysInStore;
    this.entitlements = entitlements;
    this.issuer = issuer;
    this.clock = clock;
  }

  /**
   * Files signed as {@code config} says: with {@code fileKeys}, read from its files, or with
   * {@code keySource: store} with the keys kept in {@code stored}, of which one is generated when
   * none signs yet (a first start; blocking).
   *
   * @param fileKeys the keys read from {@code config}'s files; null when they are kept in the store
   */
  public static LicenseFiles open(LicenseFilesConfig config, LicenseKeys fileKeys, StoredKeys stored,
      Supplier<EntitlementFields> entitlements, Clock clock) {
    Supplier<LicenseKeys> keys = config.keysInStore()
        ? StoredKeyRing.open(stored, LicenseKeys::generateForStore, LicenseKeys::read)
        : () -> fileKeys;
    return new LicenseFiles(keys, config.keysInStore(), entitlements, config.issuer(), clock);
  }

  /** Files signed with a key generated for this instance and kept nowhere: for tests. */
  public static LicenseFiles ephemeral(Supplier<EntitlementFields> entitlements, Clock clock) {
    try {
      LicenseKeys keys = LicenseKeys.of(List.of(LicenseKeys.generate()));
      return new LicenseFiles(() -> keys, entitlements, "turnstile", clock);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The keys in use now. */
  public LicenseKeys keys() {
    return keys.get();
  }

  /** The {@code iss} claim of every file, answer and bundle list. */
  public String issuer() {
    return issuer;
  }

  /**
   * The manifest list of an air-gap bundle signed with the current key: a compact JWS whose payload
   * is exactly {@code manifestList}, {@code typ} {@link #BUNDLE_TYPE}. Deterministic (RFC 6979): the
   * same list and key give the same bytes on every replica and after a restart, so a download cut
   * and resumed elsewhere comes out byte-identical; a rotation changes them, and with them the
   * bundle's {@code ETag}. Its length never depends on the key: the header names the key by its
   * thumbprint (43 characters) and an ES256 signature is always 86.
   */
  public String signBundle(byte[] manifestList) {
    ECKey key = keys.get().signingKey();
    JWSObject jws = new JWSObject(new JWSHeader.Builder(JWSAlgorithm.ES256).type(BUNDLE_TYPE)
        .keyID(key.getKeyID()).build(), new Payload(manifestList));
    try {
      jws.sign(new DeterministicEs256Signer(key));
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign with license-signing key " + key.getKeyID(), e);
    }
    return jws.serialize();
  }

  /** Whether the keys are kept in the store and rotated through the admin API. */
  public boolean keysInStore() {
    return keysInStore;
  }

  /**
   * The license file of {@code license}, held by {@code customer}, signed now.
   *
   * @throws IllegalStateException when the license is revoked: a file for it would only mislead
   */
  public String issue(License license, Customer customer) {
    if (license.revokedAt() != null) {
      throw new IllegalStateException("license " + license.id() + " is revoked");
    }
    Instant now = clock.instant();
    JWTClaimsSet.Builder claims = common(license, now)
        .claim("name", license.name())
        .claim("customer", ordered("id", customer.id().value(), "name", customer.name()))
        .claim("versions", license.versions())
        .claim("ranges", ranges(license.ranges()))
        .claim("keepReleasedBeforeExpiry", license.keepReleasedBeforeExpiry())
        .claim("updatedAt", license.updatedAt().toString());
    if (license.expiresAt() != null) {
      claims.expirationTime(Date.from(license.expiresAt()));
    }
    return sign(FILE_TYPE, claims.build());
  }

  /**
   * The online check's answer for {@code license}: its state now, expiry and entitlements, good for
   * {@link #CHECK_TTL}, with the caller's {@code nonce} (null for none) so that an old answer
   * cannot be replayed to an application that sent a fresh one.
   */
  public String checkAnswer(License license, String nonce) {
    Instant now = clock.instant();
    LicenseState state = license.state(now);
    JWTClaimsSet.Builder claims = common(license, now)
        .claim("state", state.wireName())
        .claim("customer", ordered("id", license.customerId().value()))
        .expirationTime(Date.from(now.plus(CHECK_TTL)));
    if (nonce != null) {
      claims.claim("nonce", nonce);
    }
    return sign(CHECK_TYPE, claims.build());
  }

  /** What files and answers share: issuer, subject, times, application, expiry, entitlements. */
  private JWTClaimsSet.Builder common(License license, Instant now) {
    Map<String, Object> values = entitlements.get().values(license.application(), license.entitlements());
    return new JWTClaimsSet.Builder()
        .issuer(issuer)
        .subject(license.id().value())
        .issueTime(Date.from(now))
        .claim("licenseId", license.id().value())
        .claim("application", license.application())
        .claim("expiresAt", license.expiresAt() == null ? null : license.expiresAt().toString())
        .claim("entitlements", values);
  }

  private String sign(JOSEObjectType type, JWTClaimsSet claims) {
    ECKey key = keys.get().signingKey();
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(type).keyID(key.getKeyID()).build(),
        claims);
    try {
      jwt.sign(new ECDSASigner(key));
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign with license-signing key " + key.getKeyID(), e);
    }
    return jwt.serialize();
  }

  private static List<Object> ranges(List<VersionRange> ranges) {
    List<Object> out = new ArrayList<>();
    for (VersionRange r : ranges) {
      out.add(ordered("range", r.expression(), "includePrerelease", r.includePrerelease()));
    }
    return out;
  }

  private static Map<String, Object> ordered(Object... pairs) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put((String) pairs[i], pairs[i + 1]);
    }
    return m;
  }
}
