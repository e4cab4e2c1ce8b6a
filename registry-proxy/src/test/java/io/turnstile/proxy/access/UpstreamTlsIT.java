package io.turnstile.proxy.access;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.turnstile.proxy.testing.FakeRegistry;
import io.turnstile.proxy.testing.TestTurnstile;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upstream over HTTPS with a certificate from a private CA: trusted through a configured trust
 * store for every call (registry, token realm, admin listing), refused without it.
 */
class UpstreamTlsIT {
  private static final Path KEYSTORE = localhostKeystore();

  @RegisterExtension
  static WireMockExtension upstream = WireMockExtension.newInstance()
      .options(wireMockConfig().dynamicPort().dynamicHttpsPort().keystorePath(KEYSTORE.toString())
          .keystorePassword("changeit").keyManagerPassword("changeit").keystoreType("PKCS12")).build();

  /** A key and self-signed certificate for localhost, made with the JDK's keytool. */
  private static Path localhostKeystore() {
    try {
      Path dir = Files.createTempDirectory("upstream-tls");
      Path ks = dir.resolve("upstream.p12");
      Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
          "-genkeypair", "-alias", "upstream", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
          "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12",
          "-keystore", ks.toString(), "-storepass", "changeit", "-keypass", "changeit")
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      if (p.waitFor() != 0) {
        throw new IllegalStateException("keytool failed: " + out);
      }
      return ks;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @TempDir Path dir;
  private TestTurnstile ts;

  @AfterEach
  void stop() {
    if (ts != null) {
      ts.close();
    }
  }

  /** Saves the certificate the upstream presents into a PKCS#12 trust store. */
  private Path trustStoreOfTheUpstream() throws Exception {
    SSLContext trustAll = SSLContext.getInstance("TLS");
    trustAll.init(null, new TrustManager[] {new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    }}, null);
    Certificate cert;
    try (SSLSocket s = (SSLSocket) trustAll.getSocketFactory().createSocket("localhost", upstream.getHttpsPort())) {
      s.startHandshake();
      cert = s.getSession().getPeerCertificates()[0];
    }
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setCertificateEntry("upstream", cert);
    Path file = dir.resolve("upstream-trust.p12");
    try (OutputStream out = Files.newOutputStream(file)) {
      ks.store(out, "changeit".toCharArray());
    }
    return file;
  }

  private String httpsUrl() {
    return "https://localhost:" + upstream.getHttpsPort();
  }

  private HttpResponse<String> pullManifest() throws Exception {
    TestTurnstile.Login login = ts.license("app", "1.0.0");
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(ts.registryUrl() + "/v2/vendor/app/manifests/1.0.0"))
        .header("Authorization", login.basic()).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void upstreamWithACertificateFromTheConfiguredTrustStore_isReadOverTls() throws Exception {
    new FakeRegistry(upstream).image("org/app", "1.0.0", 1, 100);
    Path trust = trustStoreOfTheUpstream();
    ts = new TestTurnstile(dir, "https://localhost:" + upstream.getHttpsPort(),
        "    trustStore: " + trust + "\n    trustStorePassword: changeit");
    assertThat(pullManifest().statusCode()).isEqualTo(200);
  }

  @Test
  void upstreamWithAnUntrustedCertificate_isRefusedWith502() throws Exception {
    new FakeRegistry(upstream).image("org/app", "1.0.0", 1, 100);
    ts = new TestTurnstile(dir, "https://localhost:" + upstream.getHttpsPort());
    HttpResponse<String> r = pullManifest();
    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.body()).contains("TLS with the upstream registry failed");
  }

  @Test
  void bearerUpstreamBehindAPrivateCa_isPulledAndListedWithTheTrustStore() throws Exception {
    FakeRegistry registry = FakeRegistry.withTokenRealm(upstream, httpsUrl(), "tls-token");
    registry.image("org/app", "1.0.0", 1, 100);
    registry.tags("org/app", "1.0.0", "1.1.0");
    ts = new TestTurnstile(dir, httpsUrl(), "    trustStore: " + trustStoreOfTheUpstream() + "\n    trustStorePassword: changeit");

    HttpResponse<String> pulled = pullManifest();
    TestTurnstile.Answer apps = ts.admin("GET", "/admin/v1/applications", null);

    assertThat(pulled.statusCode()).as(pulled.body()).isEqualTo(200);
    assertThat(apps.body().get("applications").get(0).get("versions")).as(apps.raw())
        .extracting(com.fasterxml.jackson.databind.JsonNode::asText).containsExactly("1.1.0", "1.0.0");
  }

  @Test
  void bearerUpstreamBehindAPrivateCa_failsCleanlyWithoutTheTrustStore() throws Exception {
    FakeRegistry registry = FakeRegistry.withTokenRealm(upstream, httpsUrl(), "tls-token");
    registry.image("org/app", "1.0.0", 1, 100);
    registry.tags("org/app", "1.0.0", "1.1.0");
    ts = new TestTurnstile(dir, httpsUrl());

    HttpResponse<String> pulled = pullManifest();
    TestTurnstile.Answer apps = ts.admin("GET", "/admin/v1/applications", null);

    assertThat(pulled.statusCode()).isEqualTo(502);
    assertThat(pulled.body()).contains("TLS with the upstream registry failed");
    assertThat(apps.status()).isEqualTo(200);
    assertThat(apps.body().get("applications").get(0).get("versions").isNull()).isTrue();
    assertThat(apps.body().get("applications").get(0).get("versionsError").asText())
        .contains("TLS with the upstream registry failed");
  }
}
