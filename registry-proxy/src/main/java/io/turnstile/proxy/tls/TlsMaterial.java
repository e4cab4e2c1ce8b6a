package io.turnstile.proxy.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * A listener's private key and certificate chain, parsed from PEM and checked against each other:
 * the key must be the certificate's (a signature made with it verifies with the certificate's
 * public key). The chain is the first certificate of the certificate file, then the rest of that
 * file, then the chain file.
 *
 * @param key the private key
 * @param chain the listener's certificate first, then the intermediates to send with it
 */
record TlsMaterial(PrivateKey key, List<X509Certificate> chain) {
  TlsMaterial {
    chain = List.copyOf(chain);
  }

  /** The listener's own certificate. */
  X509Certificate certificate() {
    return chain.get(0);
  }

  /** Parses and checks {@code files}. */
  static TlsMaterial parse(TlsFiles files) throws TlsMaterialException {
    String field = files.field();
    List<X509Certificate> chain = new ArrayList<>(
        certificates(field + ".certificate", files.config().certificate(), files.certificate()));
    if (chain.isEmpty()) {
      throw new TlsMaterialException(field + ".certificate",
          files.config().certificate() + ": no certificate in PEM form (BEGIN CERTIFICATE)");
    }
    if (files.chain() != null) {
      List<X509Certificate> more = certificates(field + ".chain", files.config().chain(), files.chain());
      if (more.isEmpty()) {
        throw new TlsMaterialException(field + ".chain",
            files.config().chain() + ": no certificate in PEM form (BEGIN CERTIFICATE)");
      }
      chain.addAll(more);
    }
    PrivateKey key = privateKey(field + ".privateKey", files.config().privateKey(), files.privateKey());
    checkPair(field + ".privateKey", files.config().privateKey(), key, files.config().certificate(), chain.get(0));
    return new TlsMaterial(key, chain);
  }

  private static List<X509Certificate> certificates(String field, Path file, byte[] pem)
      throws TlsMaterialException {
    List<X509Certificate> certificates = new ArrayList<>();
    JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
    try (PEMParser parser = new PEMParser(reader(pem))) {
      Object o;
      while ((o = parser.readObject()) != null) {
        // A private key in the same file is allowed (one file for both); only certificates count.
        if (o instanceof X509CertificateHolder holder) {
          certificates.add(converter.getCertificate(holder));
        }
      }
    } catch (IOException | GeneralSecurityException e) {
      throw new TlsMaterialException(field, file + ": not a readable PEM file (" + e.getMessage() + ")");
    }
    return certificates;
  }

  private static PrivateKey privateKey(String field, Path file, byte[] pem) throws TlsMaterialException {
    PrivateKey key = null;
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
    try (PEMParser parser = new PEMParser(reader(pem))) {
      Object o;
      while ((o = parser.readObject()) != null) {
        PrivateKeyInfo info;
        if (o instanceof PrivateKeyInfo pkcs8) {
          info = pkcs8;
        } else if (o instanceof PEMKeyPair traditional) {
          info = traditional.getPrivateKeyInfo();
        } else if (o instanceof PKCS8EncryptedPrivateKeyInfo || o instanceof PEMEncryptedKeyPair) {
          throw new TlsMaterialException(field, file + ": the private key is encrypted; give Turnstile an"
              + " unencrypted key (openssl pkey -in encrypted.key -out tls.key) and protect the file instead");
        } else {
          // Certificates in the same file, or the "EC PARAMETERS" block openssl writes before a key.
          continue;
        }
        if (key != null) {
          throw new TlsMaterialException(field, file + ": holds more than one private key");
        }
        key = converter.getPrivateKey(info);
      }
    } catch (IOException e) {
      throw new TlsMaterialException(field, file + ": not a readable PEM file (" + e.getMessage() + ")");
    }
    if (key == null) {
      throw new TlsMaterialException(field, file + ": no private key in PEM form"
          + " (BEGIN PRIVATE KEY, BEGIN RSA PRIVATE KEY or BEGIN EC PRIVATE KEY)");
    }
    return key;
  }

  private static void checkPair(String field, Path keyFile, PrivateKey key, Path certificateFile,
      X509Certificate certificate) throws TlsMaterialException {
    String certificateAlgorithm = certificate.getPublicKey().getAlgorithm();
    if (!certificateAlgorithm.equals(key.getAlgorithm())) {
      throw new TlsMaterialException(field, keyFile + ": a " + key.getAlgorithm() + " key, but the certificate in "
          + certificateFile + " is for a " + certificateAlgorithm + " key");
    }
    String algorithm = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
      default -> throw new TlsMaterialException(field, keyFile + ": " + key.getAlgorithm()
          + " keys are not supported (RSA, EC or EdDSA)");
    };
    byte[] probe = new byte[32];
    new SecureRandom().nextBytes(probe);
    boolean matches;
    try {
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(certificate.getPublicKey());
      verifier.update(probe);
      matches = verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      matches = false;
    }
    if (!matches) {
      throw new TlsMaterialException(field, keyFile + ": does not match the certificate in " + certificateFile
          + " (" + certificate.getSubjectX500Principal().getName() + ")");
    }
  }

  private static Reader reader(byte[] pem) {
    return new InputStreamReader(new ByteArrayInputStream(pem), StandardCharsets.US_ASCII);
  }
}
