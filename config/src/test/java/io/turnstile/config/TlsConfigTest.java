package io.turnstile.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code server.tls}, {@code admin.tls} and {@code server.trustedProxies} as the loader reads them. */
class TlsConfigTest {
  private static final String ADMIN = """
      admin:
        token: admin-token-0123456789
      """;

  private static TurnstileConfig parse(String yaml) throws ConfigException {
    return new ConfigLoader(Map.<String, String>of()::get).parse("turnstile.yaml", yaml + ADMIN);
  }

  private static void assertError(String yaml, String expectedMessage) {
    assertThatThrownBy(() -> parse(yaml)).isInstanceOf(ConfigException.class).hasMessage(expectedMessage);
  }

  @Test
  void tls_readsEveryFieldAndMakesThePublicUrlHttps() throws Exception {
    TurnstileConfig c = parse("""
        server:
          listen: 0.0.0.0:5443
          tls:
            certificate: /etc/turnstile/tls/tls.crt
            privateKey: /etc/turnstile/tls/tls.key
            chain: /etc/turnstile/tls/chain.pem
            reloadInterval: 30s
        """);
    TlsConfig tls = c.server().tls();
    assertThat(tls.certificate()).isEqualTo(Path.of("/etc/turnstile/tls/tls.crt"));
    assertThat(tls.privateKey()).isEqualTo(Path.of("/etc/turnstile/tls/tls.key"));
    assertThat(tls.chain()).isEqualTo(Path.of("/etc/turnstile/tls/chain.pem"));
    assertThat(tls.reloadInterval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.server().publicUrl()).isEqualTo(URI.create("https://0.0.0.0:5443"));
    assertThat(c.admin().tls()).isNull();
  }

  @Test
  void withoutTls_thePublicUrlStaysHttpAndAnExplicitOneIsKept() throws Exception {
    assertThat(parse("server:\n  listen: 127.0.0.1:8080\n").server().publicUrl())
        .isEqualTo(URI.create("http://127.0.0.1:8080"));
    assertThat(parse("""
        server:
          publicUrl: https://registry.example.com
          tls: {certificate: a.crt, privateKey: a.key}
        """).server().baseUrl()).isEqualTo("https://registry.example.com");
  }

  @Test
  void tlsDefaults_noChainAndAFiveSecondReload() throws Exception {
    TlsConfig tls = parse("server:\n  tls: {certificate: a.crt, privateKey: a.key}\n").server().tls();
    assertThat(tls.chain()).isNull();
    assertThat(tls.reloadInterval()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void adminTls_hasTheSameShape() throws Exception {
    TurnstileConfig c = new ConfigLoader(Map.<String, String>of()::get).parse("turnstile.yaml", """
        admin:
          token: admin-token-0123456789
          tls:
            certificate: admin.crt
            privateKey: admin.key
        """);
    assertThat(c.admin().tls().certificate()).isEqualTo(Path.of("admin.crt"));
    assertThat(c.admin().toString()).doesNotContain("admin-token-0123456789");
    assertThat(c.server().tls()).isNull();
  }

  @Test
  void tlsWithoutAPrivateKey_isRejected() {
    assertError("server:\n  tls:\n    certificate: a.crt\n", "turnstile.yaml: server.tls.privateKey: is required");
  }

  @Test
  void tlsWithAnUnknownKey_isRejected() {
    assertThatThrownBy(() -> parse("server:\n  tls: {certificate: a.crt, privateKey: a.key, ciphers: [x]}\n"))
        .hasMessageStartingWith("turnstile.yaml: server.tls.ciphers: unknown key");
  }

  @Test
  void trustedProxies_acceptIpv4AndIpv6Blocks() throws Exception {
    ServerConfig s = parse("""
        server:
          trustedProxies: [10.0.0.0/8, "fd00::/8", 192.0.2.7]
        """).server();
    assertThat(s.trustedProxies()).extracting(Cidr::toString)
        .containsExactly("10.0.0.0/8", "fd00:0:0:0:0:0:0:0/8", "192.0.2.7/32");
    assertThat(parse("server: {}\n").server().trustedProxies()).isEmpty();
  }

  @Test
  void aBadTrustedProxy_namesItsIndex() {
    assertError("server:\n  trustedProxies: [10.0.0.0/8, proxy.internal]\n",
        "turnstile.yaml: server.trustedProxies[1]: 'proxy.internal' is not an IP address or CIDR block"
            + " (e.g. 10.0.0.0/8, fd00::/8)");
  }
}
