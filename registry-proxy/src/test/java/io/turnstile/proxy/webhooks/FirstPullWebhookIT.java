package io.turnstile.proxy.webhooks;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.core.Options;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.standardwebhooks.Webhook;
import io.turnstile.proxy.testing.FakeRegistry;
import io.turnstile.proxy.testing.TestTurnstile;
import io.turnstile.proxy.testing.WebhookReceiver;
import io.turnstile.store.testing.Eventually;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code pull.first_of_version}, from pulls the pull audit log records. */
class FirstPullWebhookIT {
  @RegisterExtension
  static WireMockExtension upstream = WireMockExtension.newInstance()
      .options(wireMockConfig().dynamicPort().useChunkedTransferEncoding(Options.ChunkedEncodingPolicy.ALWAYS))
      .build();

  @TempDir Path dir;
  private TestTurnstile ts;
  private final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void stop() {
    if (ts != null) {
      ts.close();
    }
  }

  @Test
  void aLicensesFirstPullOfAVersion_isAnnouncedOnce_aRepeatIsNot() throws Exception {
    FakeRegistry registry = new FakeRegistry(upstream);
    registry.image("org/app", "1.0.0", 1, 300);
    registry.image("org/app", "1.1.0", 1, 300);
    try (WebhookReceiver receiver = new WebhookReceiver()) {
      ts = new TestTurnstile(dir, upstream.baseUrl(), "", true, WebhooksIT.WEBHOOKS_YAML);
      String secret = ts.admin("POST", "/admin/v1/webhooks",
          "{\"url\":\"" + receiver.url() + "\",\"events\":[\"pull.first_of_version\"]}").body().get("secret").asText();
      TestTurnstile.Login login = ts.license("app", "1.0.0", "1.1.0");
      for (String tag : List.of("1.0.0", "1.0.0", "1.1.0", "1.0.0")) {
        HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(ts.registryUrl()
                + "/v2/vendor/app/manifests/" + tag)).header("Authorization", login.basic())
            .header("Accept", FakeRegistry.OCI_MANIFEST).build(), HttpResponse.BodyHandlers.discarding());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(ts.server.pullAudit().flush(Duration.ofSeconds(10))).isTrue();
      }
      Eventually.until("two first pulls", () -> receiver.received().size() >= 2);
      // A test event sent after the last pull was flushed: once it is in, a third announcement would be too.
      String endpoint = ts.admin("GET", "/admin/v1/webhooks", null).body().get("webhooks").get(0).get("id").asText();
      ts.admin("POST", "/admin/v1/webhooks/" + endpoint + "/test", null);
      Eventually.until("the test event", () -> receiver.received().size() >= 3);
      List<JsonNode> bodies = new ArrayList<>();
      for (WebhookReceiver.Received r : receiver.received()) {
        new Webhook(secret).verify(r.body(), r.headers());
        bodies.add(ts.json.readTree(r.body()));
      }
      assertThat(bodies).extracting(b -> b.get("type").asText())
          .containsExactly("pull.first_of_version", "pull.first_of_version", "webhook.test");
      assertThat(bodies.get(0).get("data").get("version").asText()).isEqualTo("1.0.0");
      assertThat(bodies.get(0).get("data").get("repository").asText()).isEqualTo("vendor/app");
      assertThat(bodies.get(0).get("data").get("id").asText()).isEqualTo(login.username());
      assertThat(bodies.get(1).get("data").get("version").asText()).isEqualTo("1.1.0");
    }
  }
}
