package io.turnstile.proxy.token;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64;
import io.turnstile.store.NewSigningKey;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The token signing keys: each a PEM file holding a private key and its X.509 certificate. The
 * first key signs, every key verifies. A missing file is generated (ES256 on P-256, or RS256 with
 * 2048-bit RSA) with a self-signed certificate, mode 0600. The certificate goes into each token's
 * {@code x5c} header so that a stock registry configured with it as {@code rootcertbundle}
 * accepts the tokens.
 */
public final class SigningKeys {
  private final List<JWK> keys;
  private final List<X509Certificate> certificates;

  private SigningKeys(List<JWK> keys, List<X509Certificate> certificates) {
    this.keys = List.copyOf(keys);
    this.certificates = List.copyOf(certificates);
  }

  /** Loads every file, generating any that is missing with {@code algorithm}. */
  public static SigningKeys load(List<Path> files, String algorithm) throws IOException {
    List<JWK> keys = new ArrayList<>();
    List<X509Certificate> certs = new ArrayList<>();
    for (Path file : files) {
      if (!Files.exists(file)) {
        generate(file, algorithm);
      }
      loadOne(file.toString(), Files.readString(file), keys, certs);
    }
    return new SigningKeys(keys, certs);
  }

  /** Keys from PEM texts (private key and certificate each), the first one signing. */
  public static SigningKeys fromPem(List<String> pems) throws IOException {
    List<JWK> keys = new ArrayList<>();
    List<X509Certificate> certs = new ArrayList<>();
    for (int i = 0; i < pems.size(); i++) {
      loadOne("key " + i, pems.get(i), keys, certs);
    }
    return new SigningKeys(keys, certs);
  }

  /** A new key with its self-signed certificate, as PEM, and its key id, to keep in the store. */
  public static NewSigningKey generateForStore(String algorithm) throws IOException {
    String pem = newPem(algorithm);
    return new NewSigningKey(fromPem(List.of(pem)).signingKey().getKeyID(), pem);
  }

  private static void loadOne(String file, String text, List<JWK> keys, List<X509Certificate> certs)
      throws IOException {
    PrivateKey privateKey = null;
    X509Certificate certificate = null;
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
    try (PEMParser parser = new PEMParser(new StringReader(text))) {
      Object o;
      while ((o = parser.readObject()) != null) {
        if (o instanceof PrivateKeyInfo info) {
          privateKey = converter.getPrivateKey(info);
        } else if (o instanceof PEMKeyPair pair) {
          privateKey = converter.getKeyPair(pair).getPrivate();
        } else if (o instanceof X509CertificateHolder holder && certificate == null) {
          certificate = new JcaX509CertificateConverter().getCertificate(holder);
        }
      }
    } catch (GeneralSecurityException e) {
      throw new IOException(file + ": cannot read the certificate: " + e.getMessage(), e);
    }
    if (privateKey == null || certificate == null) {
      throw new IOException(file + ": must hold a private key and its certificate (PEM)");
    }
    List<Base64> chain = new ArrayList<>();
    try {
      chain.add(Base64.encode(certificate.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new IOException(file + ": cannot encode the certificate", e);
    }
    JWK jwk;
    try {
      if (certificate.getPublicKey() instanceof ECPublicKey ec) {
        jwk = new ECKey.Builder(Curve.forECParameterSpec(ec.getParams()), ec)
            .privateKey(privateKey).x509CertChain(chain).keyUse(KeyUse.SIGNATURE)
            .algorithm(JWSAlgorithm.ES256).keyIDFromThumbprint().build();
      } else if (certificate.getPublicKey() instanceof RSAPublicKey rsa) {
        jwk = new RSAKey.Builder(rsa).privateKey(privateKey).x509CertChain(chain).keyUse(KeyUse.SIGNATURE)
            .algorithm(JWSAlgorithm.RS256).keyIDFromThumbprint().build();
      } else {
        throw new IOException(file + ": only EC P-256 and RSA keys are supported");
      }
    } catch (JOSEException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
    if (jwk instanceof ECKey ec && !Curve.P_256.equals(ec.getCurve())) {
      throw new IOException(file + ": EC keys must be on P-256 (ES256)");
    }
    keys.add(jwk);
    certs.add(certificate);
  }

  private static void generate(Path file, String algorithm) throws IOException {
    String pem = newPem(algorithm);
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (FileAlreadyExistsException raced) {
      return;
    }
    Files.writeString(file, pem);
  }

  private static String newPem(String algorithm) throws IOException {
    try {
      KeyPair pair;
      String signature;
      if (algorithm.equals("RS256")) {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        pair = g.generateKeyPair();
        signature = "SHA256withRSA";
      } else {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        pair = g.generateKeyPair();
        signature = "SHA256withECDSA";
      }
      X500Name name = new X500Name("CN=turnstile token signer");
      Instant now = Instant.now();
      X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
          new JcaX509v3CertificateBuilder(name, new BigInteger(64, new SecureRandom()),
              Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(3650))),
              name, pair.getPublic())
              .build(new JcaContentSignerBuilder(signature).build(pair.getPrivate())));
      StringWriter pem = new StringWriter();
      try (JcaPEMWriter w = new JcaPEMWriter(pem)) {
        w.writeObject(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(pair.getPrivate(), null));
        w.writeObject(cert);
      }
      return pem.toString();
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IOException("cannot generate a signing key: " + e.getMessage(), e);
    }
  }

  /** The key that signs new tokens. */
  public JWK signingKey() {
    return keys.get(0);
  }

  /** Every key, signing key first. */
  public List<JWK> all() {
    return keys;
  }

  /** The public keys, for {@code /.well-known/jwks.json}. */
  public JWKSet publicJwks() {
    return new JWKSet(keys).toPublicJWKSet();
  }

  /** The signing key's certificate as PEM, for a registry's {@code rootcertbundle}. */
  public String certificatePem() throws IOException {
    StringWriter pem = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(pem)) {
      for (X509Certificate c : certificates) {
        w.writeObject(c);
      }
    }
    return pem.toString();
  }
}
