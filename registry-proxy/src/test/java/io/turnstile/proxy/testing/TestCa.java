package io.turnstile.proxy.testing;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * A certificate authority made for one test, issuing server certificates for 127.0.0.1 and
 * localhost, and a client {@link SSLContext} that trusts it and nothing else.
 */
public final class TestCa {
  private final KeyPair key;
  private final X509Certificate certificate;
  private final SecureRandom random = new SecureRandom();

  private TestCa(KeyPair key, X509Certificate certificate) {
    this.key = key;
    this.certificate = certificate;
  }

  /** A new CA with an EC P-256 key. */
  public static TestCa create(String name) throws GeneralSecurityException {
    try {
      KeyPair key = ec();
      X500Name subject = new X500Name("CN=" + name);
      Instant now = Instant.now();
      JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, BigInteger.ONE,
          Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(2))), subject, key.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      X509Certificate cert = new JcaX509CertificateConverter()
          .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate())));
      return new TestCa(key, cert);
    } catch (IOException | org.bouncycastle.operator.OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  /** The CA's own certificate. */
  public X509Certificate certificate() {
    return certificate;
  }

  /** A certificate for 127.0.0.1 and localhost with an EC P-256 key. */
  public Issued issue(String commonName) throws GeneralSecurityException {
    return issue(commonName, ec());
  }

  /** A certificate for 127.0.0.1 and localhost with a 2048-bit RSA key. */
  public Issued issueRsa(String commonName) throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    return issue(commonName, g.generateKeyPair());
  }

  private Issued issue(String commonName, KeyPair subjectKey) throws GeneralSecurityException {
    try {
      Instant now = Instant.now();
      JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(certificate,
          new BigInteger(64, random).add(BigInteger.TWO), Date.from(now.minus(Duration.ofHours(1))),
          Date.from(now.plus(Duration.ofDays(1))), new X500Name("CN=" + commonName), subjectKey.getPublic());
      b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
          new GeneralName(GeneralName.iPAddress, "127.0.0.1"), new GeneralName(GeneralName.dNSName, "localhost")}));
      b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
      X509Certificate cert = new JcaX509CertificateConverter()
          .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate())));
      return new Issued(cert, subjectKey);
    } catch (IOException | org.bouncycastle.operator.OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  /** A client context that trusts this CA only. */
  public SSLContext clientContext() throws GeneralSecurityException, IOException {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", certificate);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }

  /** Writes the CA's certificate as PEM. */
  public Path writeCertificate(Path file) throws IOException {
    Files.writeString(file, pem(List.of(certificate)));
    return file;
  }

  /** A server certificate and its key. */
  public record Issued(X509Certificate certificate, KeyPair key) {
    /** The certificate as PEM. */
    public String certificatePem() throws IOException {
      return pem(List.of(certificate));
    }

    /** The private key as PKCS#8 PEM ({@code BEGIN PRIVATE KEY}). */
    public String pkcs8Pem() throws IOException {
      StringWriter out = new StringWriter();
      try (JcaPEMWriter w = new JcaPEMWriter(out)) {
        w.writeObject(new JcaPKCS8Generator(key.getPrivate(), null));
      }
      return out.toString();
    }

    /**
     * The private key as openssl writes it by default: {@code BEGIN RSA PRIVATE KEY} (PKCS#1), or
     * {@code BEGIN EC PRIVATE KEY} (SEC 1, with the curve and the public key).
     */
    public String traditionalPem() throws IOException {
      StringWriter out = new StringWriter();
      try (JcaPEMWriter w = new JcaPEMWriter(out)) {
        if (key.getPrivate().getAlgorithm().equals("EC")) {
          // The JDK's encoding keeps the curve outside the SEC 1 structure; openssl puts it inside.
          PrivateKeyInfo info = PrivateKeyInfo.getInstance(key.getPrivate().getEncoded());
          ECPrivateKey bare = ECPrivateKey.getInstance(info.parsePrivateKey());
          ECPrivateKey sec1 = new ECPrivateKey(256, bare.getKey(),
              SubjectPublicKeyInfo.getInstance(key.getPublic().getEncoded()).getPublicKeyData(),
              info.getPrivateKeyAlgorithm().getParameters());
          w.writeObject(new PemObject("EC PRIVATE KEY", sec1.getEncoded()));
        } else {
          w.writeObject(key.getPrivate());
        }
      }
      return out.toString();
    }

    /**
     * Writes {@code tls.crt} and {@code tls.key} (PKCS#8) into {@code dir}, each through a rename as
     * a Kubernetes secret volume swaps its files, and returns {@code dir}.
     */
    public Path writeTo(Path dir) throws IOException {
      Files.createDirectories(dir);
      replace(dir.resolve("tls.crt"), certificatePem());
      replace(dir.resolve("tls.key"), pkcs8Pem());
      return dir;
    }
  }

  /** Writes {@code text} to a temporary file beside {@code file} and renames it over {@code file}. */
  public static void replace(Path file, String text) throws IOException {
    Path next = Files.createTempFile(file.toAbsolutePath().getParent(), ".next", ".pem");
    Files.writeString(next, text);
    Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** Certificates as PEM, in order. */
  public static String pem(List<X509Certificate> certificates) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      for (X509Certificate c : certificates) {
        w.writeObject(c);
      }
    }
    return out.toString();
  }

  private static KeyPair ec() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }
}
