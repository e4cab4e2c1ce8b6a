package io.turnstile.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.turnstile.config.ConfigLoader;
import io.turnstile.config.TurnstileConfig;
import io.turnstile.proxy.server.TurnstileServer;
import io.turnstile.proxy.testing.TestCa;
import io.turnstile.proxy.testing.CliRun;
import io.turnstile.proxy.testing.TestTurnstile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin listener with {@code admin.tls}, worked through the CLI with {@code --admin-ca}. */
class AdminTlsIT {
  @TempDir Path dir;
  private TurnstileServer server;
  private Path caFile;
  private Path tokenFile;

  @BeforeEach
  void start() throws Exception {
    TestCa ca = TestCa.create("Turnstile admin CA");
    caFile = ca.writeCertificate(dir.resolve("ca.crt"));
    Path tls = ca.issue("turnstile-admin").writeTo(dir.resolve("tls"));
    tokenFile = Files.writeString(dir.resolve("admin-token"), TestTurnstile.ADMIN_TOKEN + "\n");
    TurnstileConfig config = new ConfigLoader(Map.<String, String>of()::get).parse("test.yaml", """
        server:
          listen: 127.0.0.1:0
        admin:
          listen: 127.0.0.1:0
          token: %2$s
          tls:
            certificate: %3$s/tls.crt
            privateKey: %3$s/tls.key
        token:
          signingKey: %1$s/signing-key.pem
        store:
          url: jdbc:sqlite:%1$s/turnstile.db
          encryptionKeyFile: %1$s/store.key
        """.formatted(dir, TestTurnstile.ADMIN_TOKEN, tls));
    server = TurnstileServer.start(config);
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private CliRun cli(String adminUrl, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--admin-url", adminUrl, "--admin-token-file", tokenFile.toString()));
    return CliIT.runRaw(all.toArray(String[]::new));
  }

  private String https() {
    return "https://127.0.0.1:" + server.adminAddress().getPort();
  }

  @Test
  void cliWithTheAdminCa_createsAndListsCustomersOverTls() {
    CliRun created = cli(https(), "customer", "create", "--name", "Acme", "--admin-ca", caFile.toString());
    CliRun listed = cli(https(), "customer", "list", "--admin-ca", caFile.toString());

    assertThat(created.exit()).as(created.err()).isZero();
    assertThat(listed.exit()).as(listed.err()).isZero();
    assertThat(listed.out()).contains("Acme");
  }

  @Test
  void cliWithoutTheAdminCa_failsPointingAtTheOption() {
    CliRun r = cli(https(), "customer", "list");

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("TLS with the admin API at " + https() + " failed")
        .contains("--admin-ca FILE or set TURNSTILE_ADMIN_CA");
  }

  @Test
  void aMissingCaFile_isNamed() {
    Path missing = dir.resolve("nope.crt");
    CliRun r = cli(https(), "customer", "list", "--admin-ca", missing.toString());

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("--admin-ca: " + missing + ": file not found");
  }

  @Test
  void plainHttpToTheTlsAdminPort_isRefused() {
    CliRun r = cli("http://127.0.0.1:" + server.adminAddress().getPort(), "customer", "list");

    assertThat(r.exit()).isNotZero();
    assertThat(r.out()).doesNotContain("ID");
  }

  @Test
  void theRegistryListenerStaysPlainHttp() throws Exception {
    HttpResponse<Void> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + server.registryAddress().getPort() + "/v2/")).build(),
        HttpResponse.BodyHandlers.discarding());
    assertThat(r.statusCode()).isEqualTo(401);
  }
}
