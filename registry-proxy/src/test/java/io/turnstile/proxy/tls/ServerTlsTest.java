package io.turnstile.proxy.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.turnstile.config.TlsConfig;
import io.turnstile.proxy.testing.TestCa;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading a listener's PEM files, the errors that stop a start, and reloading replaced files. */
class ServerTlsTest {
  /** The block openssl ecparam -genkey writes before the key: the OID of P-256. */
  private static final String EC_PARAMETERS =
      "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n";

  @TempDir Path dir;
  private TestCa ca;
  private Path crt;
  private Path key;

  @BeforeEach
  void setUp() throws Exception {
    ca = TestCa.create("Turnstile test CA");
    crt = dir.resolve("tls.crt");
    key = dir.resolve("tls.key");
  }

  private TlsConfig config() {
    return new TlsConfig(crt, key, null, null);
  }

  private ServerTls load() throws TlsMaterialException {
    return ServerTls.load("server.tls", config());
  }

  private void write(String certificate, String privateKey) throws Exception {
    Files.writeString(crt, certificate);
    Files.writeString(key, privateKey);
  }

  @Test
  void pkcs8EcKey_loads() throws Exception {
    TestCa.Issued issued = ca.issue("registry");
    write(issued.certificatePem(), issued.pkcs8Pem());
    assertThat(load().certificate()).isEqualTo(issued.certificate());
  }

  @Test
  void rsaKeyAsOpensslWritesIt_loads() throws Exception {
    TestCa.Issued issued = ca.issueRsa("registry");
    assertThat(issued.traditionalPem()).startsWith("-----BEGIN RSA PRIVATE KEY-----");
    write(issued.certificatePem(), issued.traditionalPem());
    assertThat(load().certificate()).isEqualTo(issued.certificate());
  }

  @Test
  void ecKeyWithItsParametersBlockAsOpensslWritesIt_loads() throws Exception {
    TestCa.Issued issued = ca.issue("registry");
    assertThat(issued.traditionalPem()).startsWith("-----BEGIN EC PRIVATE KEY-----");
    write(issued.certificatePem(), EC_PARAMETERS + issued.traditionalPem());
    assertThat(load().certificate()).isEqualTo(issued.certificate());
  }

  @Test
  void keyAndCertificateInOneFile_loads() throws Exception {
    TestCa.Issued issued = ca.issue("registry");
    Files.writeString(crt, issued.pkcs8Pem() + issued.certificatePem());
    ServerTls tls = ServerTls.load("server.tls", new TlsConfig(crt, crt, null, null));
    assertThat(tls.certificate()).isEqualTo(issued.certificate());
  }

  @Test
  void chain_isTheCertificateFileThenTheChainFile() throws Exception {
    TestCa.Issued issued = ca.issue("registry");
    X509Certificate intermediate = TestCa.create("intermediate").certificate();
    write(issued.certificatePem() + TestCa.pem(List.of(intermediate)), issued.pkcs8Pem());
    Path chain = Files.writeString(dir.resolve("chain.pem"), TestCa.pem(List.of(ca.certificate())));
    TlsConfig config = new TlsConfig(crt, key, chain, null);
    TlsMaterial material = TlsMaterial.parse(TlsFiles.read("server.tls", config));
    assertThat(material.chain()).containsExactly(issued.certificate(), intermediate, ca.certificate());
  }

  @Test
  void keyOfAnotherCertificate_isRejectedNamingBothFiles() throws Exception {
    write(ca.issue("registry").certificatePem(), ca.issue("other").pkcs8Pem());
    assertThatThrownBy(this::load).isInstanceOf(TlsMaterialException.class)
        .hasMessage("server.tls.privateKey: " + key + ": does not match the certificate in " + crt + " (CN=registry)");
  }

  @Test
  void rsaKeyForAnEcCertificate_isRejected() throws Exception {
    write(ca.issue("registry").certificatePem(), ca.issueRsa("other").pkcs8Pem());
    assertThatThrownBy(this::load).hasMessageContaining("server.tls.privateKey").hasMessageContaining("a RSA key")
        .hasMessageContaining("for a EC key");
  }

  @Test
  void missingFile_isNamed() throws Exception {
    Files.writeString(key, ca.issue("registry").pkcs8Pem());
    assertThatThrownBy(this::load).isInstanceOf(TlsMaterialException.class)
        .hasMessage("server.tls.certificate: " + crt + ": file not found")
        .extracting(e -> ((TlsMaterialException) e).field()).isEqualTo("server.tls.certificate");
  }

  @Test
  void fileWithoutPem_isRejected() throws Exception {
    TestCa.Issued issued = ca.issue("registry");
    write("not a certificate\n", issued.pkcs8Pem());
    assertThatThrownBy(this::load).hasMessage("server.tls.certificate: " + crt
        + ": no certificate in PEM form (BEGIN CERTIFICATE)");
    write(issued.certificatePem(), issued.certificatePem());
    assertThatThrownBy(this::load).hasMessageStartingWith("server.tls.privateKey: " + key + ": no private key");
  }

  @Test
  void encryptedKey_isRejectedWithAHint() throws Exception {
    TestCa.Issued issued = ca.issue("registry");
    write(issued.certificatePem(), "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
        + "MIGjMF8GCSqGSIb3DQEFDTBSMDEGCSqGSIb3DQEFDDAkBBBTX2C2ZLfvRBQTfSNn\n"
        + "-----END ENCRYPTED PRIVATE KEY-----\n");
    assertThatThrownBy(this::load).hasMessageContaining("server.tls.privateKey");
  }

  @Test
  void replacedFiles_areUsedAfterTheNextCheck() throws Exception {
    TestCa.Issued first = ca.issue("first");
    first.writeTo(dir);
    ServerTls tls = load();
    assertThat(tls.reloadIfChanged()).as("unchanged").isFalse();

    TestCa.Issued second = ca.issue("second");
    second.writeTo(dir);
    assertThat(tls.reloadIfChanged()).isTrue();
    assertThat(tls.certificate()).isEqualTo(second.certificate());
  }

  @Test
  void replacedFilesThatDoNotLoad_keepTheCurrentCertificateUntilFixed() throws Exception {
    TestCa.Issued first = ca.issue("first");
    first.writeTo(dir);
    ServerTls tls = load();

    TestCa.Issued second = ca.issue("second");
    TestCa.replace(crt, second.certificatePem());
    assertThat(tls.reloadIfChanged()).as("the certificate changed, its key not yet").isFalse();
    assertThat(tls.certificate()).isEqualTo(first.certificate());
    Files.delete(key);
    assertThat(tls.reloadIfChanged()).as("a file missing mid-rotation").isFalse();
    assertThat(tls.certificate()).isEqualTo(first.certificate());

    TestCa.replace(key, second.pkcs8Pem());
    assertThat(tls.reloadIfChanged()).isTrue();
    assertThat(tls.certificate()).isEqualTo(second.certificate());
  }
}
