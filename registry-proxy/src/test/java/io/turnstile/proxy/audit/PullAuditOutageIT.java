package io.turnstile.proxy.audit;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static io.turnstile.store.testing.Eventually.until;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.core.Options;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.turnstile.proxy.testing.FakeRegistry;
import io.turnstile.proxy.testing.TestTurnstile;
import io.turnstile.store.testing.PostgresServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A PostgreSQL outage: pulls go on, and their records are written once the database is back. */
class PullAuditOutageIT {
  @RegisterExtension
  static WireMockExtension upstream = WireMockExtension.newInstance()
      .options(wireMockConfig().dynamicPort().useChunkedTransferEncoding(Options.ChunkedEncodingPolicy.ALWAYS))
      .build();

  @RegisterExtension static final PostgresServer postgres = new PostgresServer();
  @TempDir Path dir;
  private TestTurnstile ts;
  private boolean down;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    new FakeRegistry(upstream).image("org/app", "1.0.0", 1, 100);
    ts = TestTurnstile.replica(dir, upstream.baseUrl(), postgres.newDatabase(), "2s");
  }

  @AfterEach
  void stop() throws Exception {
    if (down) {
      postgres.start();
    }
    ts.close();
  }

  /** A GET of the manifest by a client named {@code client}: one record per client, not one per GET. */
  private int pull(TestTurnstile.Login login, String client) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(ts.registryUrl() + "/v2/vendor/app/manifests/1.0.0"))
        .header("Authorization", login.basic()).header("Accept", FakeRegistry.OCI_MANIFEST)
        .header("User-Agent", client).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  @Test
  void whileTheDatabaseIsDown_pullsGoOn_andTheirRecordsAreWrittenWhenItReturns() throws Exception {
    TestTurnstile.Login login = ts.license("app", "1.0.0");
    PullAuditLog audit = ts.server.pullAudit();
    assertThat(pull(login, "client-0")).isEqualTo(200);
    // A relayed answer is recorded once its last byte is written, which may be just after the
    // client has read it: wait for the record before writing it out.
    until("the record of the first pull", () -> audit.stats().open() + audit.stats().queued() + audit.stats().written() > 0);
    assertThat(audit.flush(Duration.ofSeconds(10))).isTrue();
    assertThat(audit.stats().written()).isEqualTo(1);

    postgres.stop();
    down = true;
    for (int i = 0; i < 3; i++) {
      assertThat(pull(login, "client-" + (i + 1))).as("a pull during the outage").isEqualTo(200);
    }
    until("the writer to meet the outage", () -> audit.stats().failedWrites() > 0);
    // The record of the last pull, too, may come just after its client had the answer.
    until("the three pulls' records held, not lost", () -> audit.stats().queued() + audit.stats().open() == 3);
    assertThat(audit.stats().dropped()).isZero();
    assertThat(audit.flush(Duration.ofSeconds(1))).as("nothing can be written yet").isFalse();

    postgres.start();
    down = false;
    assertThat(audit.flush(Duration.ofSeconds(60))).isTrue();
    assertThat(audit.stats().dropped()).isZero();
    assertThat(audit.stats().written()).isEqualTo(4);
    TestTurnstile.Answer a = ts.admin("GET", "/admin/v1/pulls?licenseId=" + login.username(), null);
    assertThat(a.body().get("pulls")).hasSize(4);
  }
}
