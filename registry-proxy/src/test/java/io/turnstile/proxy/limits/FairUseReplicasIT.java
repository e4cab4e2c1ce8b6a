package io.turnstile.proxy.limits;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.core.Options;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.turnstile.config.LimitConfig;
import io.turnstile.config.LimitsConfig;
import io.turnstile.proxy.testing.FakeRegistry;
import io.turnstile.proxy.testing.TestTurnstile;
import io.turnstile.store.LicenseId;
import io.turnstile.store.Usage;
import io.turnstile.store.UsageLimit;
import io.turnstile.store.testing.Eventually;
import io.turnstile.store.testing.PostgresServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two replicas on one PostgreSQL database share a license's count: pulled through both at once,
 * the license gets its limit and at most the documented overshoot, and every pull let through is
 * in the shared total.
 */
class FairUseReplicasIT {
  @RegisterExtension
  static WireMockExtension upstream = WireMockExtension.newInstance()
      .options(wireMockConfig().dynamicPort().useChunkedTransferEncoding(Options.ChunkedEncodingPolicy.ALWAYS))
      .build();

  @RegisterExtension static final PostgresServer postgres = new PostgresServer();
  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();

  private int send(TestTurnstile via, TestTurnstile.Login login, String method) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(via.registryUrl() + "/v2/vendor/app/manifests/1.0.0"))
          .method(method, HttpRequest.BodyPublishers.noBody()).header("Authorization", login.basic())
          .header("Accept", FakeRegistry.OCI_MANIFEST).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  @Test
  void pullsThroughBothReplicasAtOnce_overshootTheLimitByAtMostTwoFlushIntervalsOfTheirRate() throws Exception {
    new FakeRegistry(upstream).image("org/app", "1.0.0", 1, 300);
    String db = postgres.newDatabase();
    long limit = 150;
    LimitsConfig limits = new LimitsConfig(new LimitConfig(limit, "enforce"), null, null);
    String store = "  url: " + db + "\n  username: postgres\n  pollInterval: 200ms\n";
    ScheduledExecutorService clients = Executors.newScheduledThreadPool(4);
    try (TestTurnstile a = TestTurnstile.withLimits(dir, upstream.baseUrl(), limits, Clock.systemUTC(), store, "");
        TestTurnstile b = TestTurnstile.withLimits(dir, upstream.baseUrl(), limits, Clock.systemUTC(), store, "")) {
      TestTurnstile.Login login = a.license("app", "1.0.0");
      // A HEAD is never counted: it shows when replica B knows the license.
      Eventually.until("replica B knows the license", () -> send(b, login, "HEAD") == 200);

      AtomicInteger[] ok = {new AtomicInteger(), new AtomicInteger()};
      AtomicInteger[] refused = {new AtomicInteger(), new AtomicInteger()};
      List<TestTurnstile> replicas = List.of(a, b);
      long started = System.nanoTime();
      // Two clients per replica, each pulling every 10 ms: about 400 pulls a second in all.
      for (int c = 0; c < 4; c++) {
        int r = c % 2;
        clients.scheduleAtFixedRate(() -> {
          int status = send(replicas.get(r), login, "GET");
          (status == 200 ? ok[r] : status == 429 ? refused[r] : new AtomicInteger()).incrementAndGet();
        }, 0, 10, TimeUnit.MILLISECONDS);
      }
      Eventually.until("both replicas refusing", () -> refused[0].get() >= 20 && refused[1].get() >= 20);
      clients.shutdown();
      assertThat(clients.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
      double seconds = (System.nanoTime() - started) / 1e9;

      int letThrough = ok[0].get() + ok[1].get();
      // The rate while pulls were let through: at most what was let through over the time it took
      // to reach the limit at the rate asked for.
      double rate = (letThrough + refused[0].get() + refused[1].get()) / seconds;
      double bound = limit + rate * 2 * UsageMeter.FLUSH_EVERY.toMillis() / 1000.0;
      assertThat(letThrough).as("pulls let through (%d via A, %d via B) at %.0f/s", ok[0].get(), ok[1].get(), rate)
          .isGreaterThanOrEqualTo((int) limit).isLessThanOrEqualTo((int) Math.ceil(bound));
      assertThat(ok[0].get()).as("via A").isPositive();
      assertThat(ok[1].get()).as("via B").isPositive();

      a.server.usage().flush();
      b.server.usage().flush();
      Usage.Key key = new Usage.Key(new LicenseId(login.username()), UsageLimit.MANIFEST_PULLS,
          a.server.usage().periods().current(UsageLimit.MANIFEST_PULLS));
      Eventually.until("every pull let through is in the shared total",
          () -> a.server.store().usage().totals(List.of(key)).get(key) == letThrough);
    } finally {
      clients.shutdownNow();
    }
  }
}
