package io.turnstile.proxy.licensing;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.util.Base64URL;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Set;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.util.BigIntegers;

/**
 * ES256 with the nonce derived from the key and the message (RFC 6979, Bouncy Castle's {@link
 * HMacDSAKCalculator}) instead of drawn at random: the same key and input give the same signature
 * on every replica and after every restart. Any ES256 verifier takes it, as RFC 6979 signatures are
 * ordinary ECDSA signatures. Used where the signed bytes must be reproducible, as inside an air-gap
 * bundle that a {@code Range} request resumes.
 */
final class DeterministicEs256Signer implements JWSSigner {
  private static final X9ECParameters P256 = ECNamedCurveTable.getByName("secp256r1");
  private static final ECDomainParameters DOMAIN =
      new ECDomainParameters(P256.getCurve(), P256.getG(), P256.getN(), P256.getH());
  /** Bytes of r and of s in a JWS ES256 signature (RFC 7518 section 3.4). */
  private static final int HALF = 32;

  private final ECPrivateKeyParameters key;
  private final JCAContext jca = new JCAContext();

  DeterministicEs256Signer(ECKey key) throws JOSEException {
    this.key = new ECPrivateKeyParameters(key.toECPrivateKey().getS(), DOMAIN);
  }

  @Override
  public Base64URL sign(JWSHeader header, byte[] signingInput) throws JOSEException {
    if (!JWSAlgorithm.ES256.equals(header.getAlgorithm())) {
      throw new JOSEException("only ES256 is signed here, not " + header.getAlgorithm());
    }
    ECDSASigner ecdsa = new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest()));
    ecdsa.init(true, key);
    BigInteger[] rs = ecdsa.generateSignature(sha256(signingInput));
    byte[] out = new byte[2 * HALF];
    System.arraycopy(BigIntegers.asUnsignedByteArray(HALF, rs[0]), 0, out, 0, HALF);
    System.arraycopy(BigIntegers.asUnsignedByteArray(HALF, rs[1]), 0, out, HALF, HALF);
    return Base64URL.encode(out);
  }

  @Override
  public Set<JWSAlgorithm> supportedJWSAlgorithms() {
    return Set.of(JWSAlgorithm.ES256);
  }

  @Override
  public JCAContext getJCAContext() {
    return jca;
  }

  private static byte[] sha256(byte[] input) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(input);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
