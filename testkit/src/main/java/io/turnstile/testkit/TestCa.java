package io.turnstile.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A certificate authority made with the openssl command for one suite, issuing server
 * certificates as an operator would: {@code openssl ecparam -genkey} writes the key (an {@code EC
 * PARAMETERS} block, then {@code BEGIN EC PRIVATE KEY}), {@code openssl x509 -req} signs it.
 */
public final class TestCa {
  private final Path dir;

  private TestCa(Path dir) {
    this.dir = dir;
  }

  /** A new CA under {@code dir}. */
  public static TestCa create(Path dir) throws IOException {
    Files.createDirectories(dir);
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", dir.resolve("ca.key").toString(), "-out", dir.resolve("ca.crt").toString(), "-days", "2", "-subj", "/CN=Turnstile e2e CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    return new TestCa(dir);
  }

  /** The CA's certificate (PEM), for clients to trust. */
  public Path certificate() {
    return dir.resolve("ca.crt");
  }

  /** A server certificate and its private key, as PEM files. */
  public record Issued(Path certificate, Path privateKey) {}

  /** A certificate named {@code name} for the IP addresses {@code ips} and localhost. */
  public Issued issue(String name, List<String> ips) throws IOException {
    List<String> sans = new ArrayList<>();
    for (String ip : ips) {
      sans.add("IP:" + ip);
    }
    sans.add("DNS:localhost");
    Path ext = Files.writeString(dir.resolve(name + ".ext"), "subjectAltName=" + String.join(",", sans)
        + "\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n");
    Path key = dir.resolve(name + ".key");
    Path csr = dir.resolve(name + ".csr");
    Path crt = dir.resolve(name + ".crt");
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-out", key.toString());
    openssl("req", "-new", "-key", key.toString(), "-subj", "/CN=" + name, "-out", csr.toString());
    openssl("x509", "-req", "-in", csr.toString(), "-CA", certificate().toString(),
        "-CAkey", dir.resolve("ca.key").toString(), "-CAcreateserial", "-days", "1",
        "-extfile", ext.toString(), "-out", crt.toString());
    return new Issued(crt, key);
  }

  /** A client context that trusts this CA only. */
  public SSLContext clientContext() {
    try (InputStream in = Files.newInputStream(certificate())) {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      int i = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        trust.setCertificateEntry("ca-" + i++, c);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw new AssertionError("cannot trust " + certificate() + ": " + e.getMessage(), e);
    }
  }

  private static void openssl(String... args) {
    List<String> command = new ArrayList<>(List.of(Proc.require("openssl")));
    command.addAll(List.of(args));
    Proc.Result r = Proc.run(command, Map.of(), null, Duration.ofSeconds(30));
    if (r.exit() != 0) {
      throw new AssertionError("openssl " + String.join(" ", args) + " failed: " + r.all());
    }
  }
}
