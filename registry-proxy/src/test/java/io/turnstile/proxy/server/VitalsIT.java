package io.turnstile.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.util.concurrent.EventExecutor;
import io.turnstile.proxy.testing.TestTurnstile;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process that lost a thread it cannot serve without says so on {@code /healthz} and {@code
 * /readyz}, on both listeners, so that an orchestrator restarts it.
 */
class VitalsIT {
  @TempDir Path dir;
  private TestTurnstile turnstile;
  private final ObjectMapper json = new ObjectMapper();

  @BeforeEach
  void start() throws Exception {
    turnstile = new TestTurnstile(dir, "http://127.0.0.1:9");
  }

  @AfterEach
  void stop() {
    turnstile.close();
  }

  /**
   * A GET on a new connection. A connection the dead loop was given closes unanswered; the next is
   * given to the next loop, so one of a few attempts reaches a live one.
   */
  private HttpResponse<String> get(String url) throws Exception {
    IOException last = null;
    for (int attempt = 0; attempt < 8; attempt++) {
      try {
        // A client of its own: a new connection each time.
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
      } catch (IOException e) {
        last = e;
      }
    }
    throw last;
  }

  @Test
  void aDeadEventLoop_failsHealthAndReadiness_onBothListeners() throws Exception {
    String admin = turnstile.adminUrl();
    String registry = turnstile.registryUrl();
    assertThat(get(admin + "/healthz").statusCode()).isEqualTo(200);
    assertThat(get(admin + "/readyz").statusCode()).isEqualTo(200);
    assertThat(get(registry + "/healthz").statusCode()).isEqualTo(200);

    EventExecutor loop = turnstile.server.workers().iterator().next();
    loop.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();

    HttpResponse<String> health = get(admin + "/healthz");
    assertThat(health.statusCode()).isEqualTo(503);
    JsonNode body = json.readTree(health.body());
    assertThat(body.get("status").asText()).isEqualTo("failing");
    assertThat(body.get("failures").toString()).contains("worker event loop 0 is not running");
    HttpResponse<String> ready = get(admin + "/readyz");
    assertThat(ready.statusCode()).isEqualTo(503);
    assertThat(json.readTree(ready.body()).at("/checks/threads/ok").asBoolean()).isFalse();
    assertThat(get(registry + "/healthz").statusCode()).isEqualTo(503);
  }

  @Test
  void aThreadKilledByAnError_failsHealthAndReadiness() throws Exception {
    String admin = turnstile.adminUrl();
    Thread writer = new Thread(() -> { }, "turnstile-pull-audit");
    // What the JVM's uncaught exception handler, installed by `serve`, reports.
    turnstile.server.vitals().died(writer, new OutOfMemoryError("Java heap space"));
    HttpResponse<String> health = get(admin + "/healthz");
    assertThat(health.statusCode()).isEqualTo(503);
    assertThat(health.body()).contains("thread turnstile-pull-audit died: java.lang.OutOfMemoryError");
    assertThat(get(admin + "/readyz").statusCode()).isEqualTo(503);
  }

  @Test
  void anExceptionThatEndsAThread_isNotFatal() throws Exception {
    turnstile.server.vitals().died(new Thread("some-client"), new IllegalStateException("x"));
    assertThat(get(turnstile.adminUrl() + "/healthz").statusCode()).isEqualTo(200);
  }
}
