package io.turnstile.proxy.licensing;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.turnstile.config.ApplicationConfig;
import io.turnstile.config.LicenseFilesConfig;
import io.turnstile.proxy.keys.StoredKeyRing;
import io.turnstile.store.Catalog;
import io.turnstile.store.Customer;
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
 * differ, so that neither can be passed off as the other.
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
  /** The media type of a license file and of a check's answer: a compact JWS. */
  public static final String MEDIA_TYPE = "application/jwt";
  /** How long an online check's answer is good for: an application asks again after that. */
  public static final Duration CHECK_TTL = Duration.ofHours(1);

  private final Supplier<LicenseKeys> keys;
  private final boolean keysInStore;
  private final Catalog catalog;
  private final String issuer;
  private final Clock clock;

  /**
   * @param keys the keys in use now, asked at each signature so that a rotation takes effect at once
   * @param issuer the {@code iss} claim
   */
  public LicenseFiles(Supplier<LicenseKeys> keys, Catalog catalog, String issuer, Clock clock) {
    this(keys, false, catalog, issuer, clock);
  }

  /**
   * @param keys the keys in use now, asked at each signature so that a rotation takes effect at once
   * @param keysInStore whether they are kept in the store ({@code licenseFiles.keySource: store}),
   *     so that the admin API rotates them; otherwise files do, and the admin API says how
   * @param issuer the {@code iss} claim
   */
  public LicenseFiles(Supplier<LicenseKeys> keys, boolean keysInStore, Catalog catalog, String issuer, Clock clock) {
    this.keys = keys;
    this.keysInStore = keysInStore;
    this.catalog = catalog;
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
  public static LicenseFiles open(LicenseFilesConfig config, LicenseKeys fileKeys, StoredKeys stored, Catalog catalog,
      Clock clock) {
    Supplier<LicenseKeys> keys = config.keysInStore()
        ? StoredKeyRing.open(stored, LicenseKeys::generateForStore, LicenseKeys::read)
        : () -> fileKeys;
    return new LicenseFiles(keys, config.keysInStore(), catalog, config.issuer(), clock);
  }

  /** Files signed with a key generated for this instance and kept nowhere: for tests. */
  public static LicenseFiles ephemeral(Catalog catalog, Clock clock) {
    try {
      LicenseKeys keys = LicenseKeys.of(List.of(LicenseKeys.generate()));
      return new LicenseFiles(() -> keys, catalog, "turnstile", clock);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The keys in use now. */
  public LicenseKeys keys() {
    return keys.get();
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
    ApplicationConfig app = catalog.application(license.application()).orElse(null);
    Map<String, Object> entitlements = app == null ? Map.of() : app.entitlementValues(license.entitlements());
    return new JWTClaimsSet.Builder()
        .issuer(issuer)
        .subject(license.id().value())
        .issueTime(Date.from(now))
        .claim("licenseId", license.id().value())
        .claim("application", license.application())
        .claim("expiresAt", license.expiresAt() == null ? null : license.expiresAt().toString())
        .claim("entitlements", entitlements);
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
