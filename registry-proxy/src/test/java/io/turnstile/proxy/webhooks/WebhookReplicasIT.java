package io.turnstile.proxy.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import com.standardwebhooks.Webhook;
import io.turnstile.proxy.testing.TestTurnstile;
import io.turnstile.proxy.testing.WebhookReceiver;
import io.turnstile.store.testing.Eventually;
import io.turnstile.store.testing.PostgresServer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Two replicas on one PostgreSQL database share one outbox: every event arrives, each once. */
class WebhookReplicasIT {
  @RegisterExtension static final PostgresServer postgres = new PostgresServer();
  @TempDir Path dir;

  @Test
  void eventsWrittenThroughEitherReplica_areEachDeliveredOnce_byOneOfThem() throws Exception {
    String db = postgres.newDatabase();
    try (WebhookReceiver receiver = new WebhookReceiver();
        TestTurnstile a = TestTurnstile.replica(dir, "http://127.0.0.1:9", db, "200ms", WebhooksIT.WEBHOOKS_YAML);
        TestTurnstile b = TestTurnstile.replica(dir, "http://127.0.0.1:9", db, "200ms", WebhooksIT.WEBHOOKS_YAML)) {
      String secret = a.admin("POST", "/admin/v1/webhooks", "{\"url\":\"" + receiver.url()
          + "\",\"events\":[\"customer.created\"]}").body().get("secret").asText();
      Eventually.until("replica B knows the endpoint", () -> b.server.store().webhooks().active());
      int n = 40;
      for (int i = 0; i < n; i++) {
        TestTurnstile via = i % 2 == 0 ? a : b;
        assertThat(via.admin("POST", "/admin/v1/customers", "{\"name\":\"c" + i + "\"}").status()).isEqualTo(201);
      }
      Eventually.until(n + " deliveries", () -> receiver.received().size() >= n);
      // Both replicas have seen every delivery settle: nothing pending is left to be sent again.
      Eventually.until("no delivery pending", () ->
          a.server.store().webhooks().countsByState().get("pending") == 0);
      Map<String, Integer> byId = new HashMap<>();
      for (WebhookReceiver.Received r : receiver.received()) {
        new Webhook(secret).verify(r.body(), r.headers());
        byId.merge(r.header("webhook-id"), 1, Integer::sum);
      }
      assertThat(byId).hasSize(n);
      assertThat(byId.values()).as("each event delivered once").containsOnly(1);
      assertThat(a.server.store().webhooks().countsByState().get("delivered")).isEqualTo(n);
    }
  }
}
