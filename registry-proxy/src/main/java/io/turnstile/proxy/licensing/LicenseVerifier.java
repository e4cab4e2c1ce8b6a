package io.turnstile.proxy.licensing;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.text.ParseException;
import java.util.Set;

/**
 * Verifies a license file (or an online check's answer) against public keys, the way an
 * application would: ES256 only, the expected {@code typ}, a key from the set by {@code kid}, and
 * an expiry not passed. What {@code turnstile license verify} and the online check run.
 */
public final class LicenseVerifier {
  private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();

  /** A verifier of documents of {@code type} signed by one of {@code keys}. */
  public LicenseVerifier(JWKSet keys, JOSEObjectType type) {
    processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(type));
    processor.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.ES256, new ImmutableJWKSet<>(keys)));
    processor.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(null, Set.of("iss", "sub", "iat")));
  }

  /** A verifier of license files. */
  public static LicenseVerifier files(JWKSet keys) {
    return new LicenseVerifier(keys, LicenseFiles.FILE_TYPE);
  }

  /**
   * The claims of {@code jws} when its signature verifies with one of the keys and it has not
   * expired.
   *
   * @throws InvalidLicenseFileException saying why not
   */
  public JWTClaimsSet verify(String jws) {
    if (jws == null || jws.isBlank()) {
      throw new InvalidLicenseFileException("the license file is empty");
    }
    try {
      return processor.process(jws.strip(), null);
    } catch (ParseException e) {
      throw new InvalidLicenseFileException("not a license file (a compact JWS): " + e.getMessage());
    } catch (BadJOSEException | JOSEException e) {
      throw new InvalidLicenseFileException(e.getMessage());
    }
  }

  /** A license file (or answer) that does not verify. */
  public static final class InvalidLicenseFileException extends RuntimeException {
    public InvalidLicenseFileException(String message) {
      super(message);
    }
  }
}
