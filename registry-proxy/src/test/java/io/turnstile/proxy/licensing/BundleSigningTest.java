package io.turnstile.proxy.licensing;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import io.turnstile.store.Catalog;
import io.turnstile.store.EntitlementFields;
import java.nio.charset.StandardCharsets;
import java.security.Signature;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;

class BundleSigningTest {
  private static final byte[] LIST = "{\"iss\":\"turnstile\",\"sub\":\"lic_one\",\"versions\":[\"1.2.0\"]}"
      .getBytes(StandardCharsets.UTF_8);

  private static LicenseFiles files(ECKey key) {
    LicenseKeys keys = LicenseKeys.of(List.of(key));
    return new LicenseFiles(() -> keys, () -> EntitlementFields.of(new Catalog(List.of())), "turnstile", Clock.systemUTC());
  }

  @Test
  void sameListAndKey_giveTheSameBytes_onEveryInstance() throws Exception {
    ECKey key = LicenseKeys.generate();
    String first = files(key).signBundle(LIST);
    // Another instance over the same key file stands for another replica, or the same one restarted.
    assertThat(files(key).signBundle(LIST)).isEqualTo(first);
    assertThat(files(key).signBundle(LIST)).isEqualTo(files(key).signBundle(LIST));
    assertThat(files(key).signBundle("{\"other\":true}".getBytes(StandardCharsets.UTF_8))).isNotEqualTo(first);
  }

  @Test
  void theSignature_isOrdinaryEs256_overExactlyTheListsBytes_withTheBundleTypeAndKeyId() throws Exception {
    ECKey key = LicenseKeys.generate();
    JWSObject jws = JWSObject.parse(files(key).signBundle(LIST));
    assertThat(jws.getHeader().getType()).isEqualTo(LicenseFiles.BUNDLE_TYPE);
    assertThat(jws.getHeader().getKeyID()).isEqualTo(key.getKeyID());
    assertThat(jws.getPayload().toBytes()).isEqualTo(LIST);
    assertThat(jws.verify(new ECDSAVerifier(key.toPublicJWK()))).isTrue();
    // The JDK's own ECDSA takes it too (r || s, as JWS writes it).
    Signature jdk = Signature.getInstance("SHA256withECDSAinP1363Format");
    jdk.initVerify(key.toECPublicKey());
    jdk.update(jws.getSigningInput());
    assertThat(jdk.verify(jws.getSignature().decode())).isTrue();
    assertThat(jws.verify(new ECDSAVerifier(LicenseKeys.generate().toPublicJWK()))).isFalse();
  }

  @Test
  void itsLength_dependsOnTheListOnly_notOnTheKey() throws Exception {
    for (int i = 0; i < 20; i++) {
      String jws = files(LicenseKeys.generate()).signBundle(LIST);
      assertThat(jws.substring(jws.lastIndexOf('.') + 1)).hasSize(86);
      assertThat(jws).hasSameSizeAs(files(LicenseKeys.generate()).signBundle(LIST));
    }
  }
}
