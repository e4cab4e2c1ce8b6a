package io.turnstile.proxy.licensing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.turnstile.config.ApplicationConfig;
import io.turnstile.config.EntitlementField;
import io.turnstile.config.EntitlementType;
import io.turnstile.config.RepositoryConfig;
import io.turnstile.store.Catalog;
import io.turnstile.store.Customer;
import io.turnstile.store.CustomerId;
import io.turnstile.store.License;
import io.turnstile.store.LicenseId;
import io.turnstile.store.VersionRange;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LicenseFilesTest {
  private static final Instant NOW = Instant.parse("2026-12-01T00:00:00Z");
  private static final Catalog CATALOG = new Catalog(List.of(new ApplicationConfig("app",
      List.of(new RepositoryConfig("vendor/app", "up", null, null)), List.of(), List.of(
          new EntitlementField("seats", EntitlementType.INTEGER, "5", true),
          new EntitlementField("sso", EntitlementType.BOOLEAN, "false", false)))));
  private static final Customer ACME = new Customer(new CustomerId("cus_acme"), "Acme", NOW);

  @TempDir Path dir;

  private static License license(Map<String, String> entitlements, Instant revokedAt) {
    return new License(new LicenseId("lic_one"), ACME.id(), "prod", "app", Instant.parse("2027-12-01T00:00:00Z"),
        revokedAt, List.of("1.0.0"), List.of(VersionRange.parse("r", "2.x", false)), false, "lk_1", null,
        NOW.minusSeconds(60), NOW, entitlements);
  }

  @Test
  void aFile_carriesEveryClaim_andVerifiesWithThePublishedKeys() throws Exception {
    LicenseKeys keys = LicenseKeys.load(List.of(dir.resolve("k.jwk")));
    LicenseFiles files = new LicenseFiles(() -> keys, () -> io.turnstile.store.EntitlementFields.of(CATALOG), "turnstile", Clock.fixed(NOW, ZoneOffset.UTC));
    String file = files.issue(license(Map.of("seats", "25"), null), ACME);

    SignedJWT jwt = SignedJWT.parse(file);
    assertThat(jwt.getHeader().getKeyID()).isEqualTo(keys.signingKey().getKeyID());
    assertThat(jwt.getHeader().getType()).isEqualTo(LicenseFiles.FILE_TYPE);
    JWTClaimsSet claims = LicenseVerifier.files(keys.publicJwks()).verify(file);
    assertThat(claims.getIssuer()).isEqualTo("turnstile");
    assertThat(claims.getSubject()).isEqualTo("lic_one");
    assertThat(claims.getIssueTime().toInstant()).isEqualTo(NOW);
    assertThat(claims.getExpirationTime().toInstant()).isEqualTo(Instant.parse("2027-12-01T00:00:00Z"));
    assertThat(claims.getStringClaim("application")).isEqualTo("app");
    assertThat(claims.getJSONObjectClaim("customer")).isEqualTo(Map.of("id", "cus_acme", "name", "Acme"));
    assertThat(claims.getStringListClaim("versions")).containsExactly("1.0.0");
    assertThat(claims.getListClaim("ranges")).containsExactly(Map.of("range", "2.x", "includePrerelease", false));
    assertThat(claims.getJSONObjectClaim("entitlements")).isEqualTo(Map.of("seats", 25L, "sso", false));
    assertThat(keys.publicJwks().getKeys()).allSatisfy(k -> assertThat(k.isPrivate()).isFalse());
  }

  @Test
  void aGeneratedKeyFile_isOwnerOnly_andLoadsAgainAsTheSameKey() throws Exception {
    Path file = dir.resolve("k.jwk");
    String kid = LicenseKeys.load(List.of(file)).signingKey().getKeyID();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    assertThat(LicenseKeys.load(List.of(file)).signingKey().getKeyID()).isEqualTo(kid);
  }

  @Test
  void oneChangedByte_orAnotherKey_orACheckAnswerPassedOffAsAFile_isRefused() throws Exception {
    LicenseKeys keys = LicenseKeys.load(List.of(dir.resolve("k.jwk")));
    LicenseFiles files = new LicenseFiles(() -> keys, () -> io.turnstile.store.EntitlementFields.of(CATALOG), "turnstile", Clock.fixed(NOW, ZoneOffset.UTC));
    String file = files.issue(license(Map.of(), null), ACME);
    LicenseVerifier verifier = LicenseVerifier.files(keys.publicJwks());
    int at = file.indexOf('.') + 10;
    String tampered = file.substring(0, at) + (file.charAt(at) == 'A' ? 'B' : 'A') + file.substring(at + 1);
    assertThatThrownBy(() -> verifier.verify(tampered)).isInstanceOf(LicenseVerifier.InvalidLicenseFileException.class);

    LicenseKeys other = LicenseKeys.of(List.of(LicenseKeys.generate()));
    String foreign = new LicenseFiles(() -> other, () -> io.turnstile.store.EntitlementFields.of(CATALOG), "turnstile", Clock.fixed(NOW, ZoneOffset.UTC))
        .issue(license(Map.of(), null), ACME);
    assertThatThrownBy(() -> verifier.verify(foreign)).isInstanceOf(LicenseVerifier.InvalidLicenseFileException.class);

    String answer = files.checkAnswer(license(Map.of(), null), null);
    assertThatThrownBy(() -> verifier.verify(answer)).isInstanceOf(LicenseVerifier.InvalidLicenseFileException.class);
  }

  @Test
  void afterARotation_aFileSignedWithTheOldKeyVerifies_untilTheOldKeyIsRetired() throws Exception {
    Path oldFile = dir.resolve("old.jwk");
    Path newFile = dir.resolve("new.jwk");
    AtomicReference<LicenseKeys> current = new AtomicReference<>(LicenseKeys.load(List.of(oldFile)));
    LicenseFiles files = new LicenseFiles(current::get, () -> io.turnstile.store.EntitlementFields.of(CATALOG), "turnstile", Clock.fixed(NOW, ZoneOffset.UTC));
    String signedByOld = files.issue(license(Map.of(), null), ACME);

    current.set(LicenseKeys.load(List.of(newFile, oldFile)));
    String signedByNew = files.issue(license(Map.of(), null), ACME);
    ECKey newKey = current.get().signingKey();
    assertThat(SignedJWT.parse(signedByNew).getHeader().getKeyID()).isEqualTo(newKey.getKeyID());
    LicenseVerifier rotated = LicenseVerifier.files(current.get().publicJwks());
    assertThat(rotated.verify(signedByOld).getSubject()).isEqualTo("lic_one");
    assertThat(rotated.verify(signedByNew).getSubject()).isEqualTo("lic_one");

    current.set(LicenseKeys.load(List.of(newFile)));
    LicenseVerifier retired = LicenseVerifier.files(current.get().publicJwks());
    assertThatThrownBy(() -> retired.verify(signedByOld)).isInstanceOf(LicenseVerifier.InvalidLicenseFileException.class);
    assertThat(retired.verify(signedByNew).getSubject()).isEqualTo("lic_one");
  }

  @Test
  void aRevokedLicense_hasNoFile() throws Exception {
    LicenseFiles files = LicenseFiles.ephemeral(() -> io.turnstile.store.EntitlementFields.of(CATALOG), Clock.fixed(NOW, ZoneOffset.UTC));
    assertThatThrownBy(() -> files.issue(license(Map.of(), NOW), ACME)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aPemEcPrivateKey_asHelmOrOpensslWriteIt_isAKeyToo() throws Exception {
    java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC");
    g.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
    java.security.KeyPair pair = g.generateKeyPair();
    java.math.BigInteger d = ((java.security.interfaces.ECPrivateKey) pair.getPrivate()).getS();
    // SEC1 as openssl ecparam and Helm's genPrivateKey "ecdsa" write it (here without the optional
    // public key, which is then derived), and PKCS#8 as openssl genpkey writes it.
    byte[] sec1 = new org.bouncycastle.asn1.sec.ECPrivateKey(256, d,
        org.bouncycastle.asn1.x9.X9ObjectIdentifiers.prime256v1).getEncoded();
    for (var object : List.of(new org.bouncycastle.util.io.pem.PemObject("EC PRIVATE KEY", sec1),
        new org.bouncycastle.util.io.pem.PemObject("PRIVATE KEY", pair.getPrivate().getEncoded()))) {
      java.io.StringWriter pem = new java.io.StringWriter();
      try (org.bouncycastle.util.io.pem.PemWriter w = new org.bouncycastle.util.io.pem.PemWriter(pem)) {
        w.writeObject(object);
      }
      Path file = dir.resolve(object.getType().replace(' ', '-') + ".pem");
      Files.writeString(file, pem.toString());
      LicenseKeys keys = LicenseKeys.load(List.of(file));
      assertThat(keys.signingKey().toECPublicKey()).as(object.getType()).isEqualTo(pair.getPublic());
      LicenseFiles files = new LicenseFiles(() -> keys, () -> io.turnstile.store.EntitlementFields.of(CATALOG), "turnstile", Clock.fixed(NOW, ZoneOffset.UTC));
      assertThat(LicenseVerifier.files(keys.publicJwks()).verify(files.issue(license(Map.of(), null), ACME))
          .getSubject()).isEqualTo("lic_one");
    }
  }
}
