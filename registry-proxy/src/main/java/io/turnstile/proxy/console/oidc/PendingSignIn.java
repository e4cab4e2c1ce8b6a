package io.turnstile.proxy.console.oidc;

import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.crypto.DirectDecrypter;
import com.nimbusds.jose.crypto.DirectEncrypter;
import com.nimbusds.jwt.EncryptedJWT;
import com.nimbusds.jwt.JWTClaimsSet;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.Date;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * A sign-in under way: what the browser must bring back from the provider ({@code state}), what the
 * ID token must carry ({@code nonce}), the PKCE verifier, and where to go after. It travels in the
 * browser's cookie, encrypted and authenticated (JWE, AES-256-GCM), so that the provider's answer
 * may land on any replica; the key is derived from the client secret, which every replica has and
 * the browser never sees.
 *
 * @param state the {@code state} sent to the provider
 * @param nonce the {@code nonce} the ID token must carry
 * @param verifier the PKCE code verifier
 * @param returnTo the console path to go to after (see {@link ReturnPath})
 * @param expires when the attempt lapses
 */
record PendingSignIn(String state, String nonce, String verifier, String returnTo, Instant expires) {
  @Override
  public String toString() {
    return "PendingSignIn[returnTo=" + returnTo + ", expires=" + expires + "]";
  }

  /** Seals and opens pending sign-ins with one key. */
  static final class Sealer {
    private final SecretKey key;

    /** A sealer whose key is derived from {@code clientSecret}. */
    Sealer(String clientSecret) {
      try {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(clientSecret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        // A key of its own for this purpose, not the secret itself (an HKDF-style extract).
        byte[] k = mac.doFinal("turnstile console pending sign-in v1".getBytes(StandardCharsets.UTF_8));
        this.key = new SecretKeySpec(k, "AES");
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
      }
    }

    String seal(PendingSignIn p) {
      JWTClaimsSet claims = new JWTClaimsSet.Builder()
          .claim("st", p.state).claim("no", p.nonce).claim("cv", p.verifier).claim("rt", p.returnTo)
          .expirationTime(Date.from(p.expires)).build();
      EncryptedJWT jwt = new EncryptedJWT(new JWEHeader(JWEAlgorithm.DIR, EncryptionMethod.A256GCM), claims);
      try {
        jwt.encrypt(new DirectEncrypter(key));
      } catch (JOSEException e) {
        throw new IllegalStateException("cannot encrypt a pending sign-in", e);
      }
      return jwt.serialize();
    }

    /** The pending sign-in sealed in {@code value}, or null when it is absent, forged, damaged or lapsed at {@code now}. */
    PendingSignIn open(String value, Instant now) {
      if (value == null || value.isEmpty() || value.length() > 4096) {
        return null;
      }
      try {
        EncryptedJWT jwt = EncryptedJWT.parse(value);
        if (!JWEAlgorithm.DIR.equals(jwt.getHeader().getAlgorithm())
            || !EncryptionMethod.A256GCM.equals(jwt.getHeader().getEncryptionMethod())) {
          return null;
        }
        jwt.decrypt(new DirectDecrypter(key));
        JWTClaimsSet c = jwt.getJWTClaimsSet();
        Date exp = c.getExpirationTime();
        if (exp == null || !now.isBefore(exp.toInstant())) {
          return null;
        }
        String state = c.getStringClaim("st");
        String nonce = c.getStringClaim("no");
        String verifier = c.getStringClaim("cv");
        if (state == null || nonce == null || verifier == null) {
          return null;
        }
        return new PendingSignIn(state, nonce, verifier, ReturnPath.of(c.getStringClaim("rt")), exp.toInstant());
      } catch (java.text.ParseException | JOSEException | RuntimeException e) {
        return null;
      }
    }
  }
}
