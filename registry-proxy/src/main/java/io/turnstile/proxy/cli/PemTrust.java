package io.turnstile.proxy.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A TLS client context that trusts the CA certificates of one PEM file and nothing else, as {@code
 * curl --cacert} does: for an admin listener whose certificate comes from a private CA.
 */
final class PemTrust {
  private PemTrust() {}

  /**
   * @param option how the user named the file, for messages, e.g. {@code --admin-ca}
   * @throws CliException (exit code 2) when the file is missing or holds no certificate
   */
  static SSLContext of(String option, Path file) {
    Collection<? extends Certificate> certificates;
    try (InputStream in = Files.newInputStream(file)) {
      certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
    } catch (NoSuchFileException e) {
      throw new CliException(option + ": " + file + ": file not found", 2);
    } catch (IOException | GeneralSecurityException e) {
      throw new CliException(option + ": " + file + ": not a PEM certificate file (" + e.getMessage() + ")", 2);
    }
    if (certificates.isEmpty()) {
      throw new CliException(option + ": " + file + ": holds no certificate", 2);
    }
    try {
      KeyStore trusted = KeyStore.getInstance("PKCS12");
      trusted.load(null, null);
      int i = 0;
      for (Certificate c : certificates) {
        trusted.setCertificateEntry("ca-" + i++, c);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trusted);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw new CliException(option + ": " + file + ": " + e.getMessage(), 2);
    }
  }
}
