package io.turnstile.proxy.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.standardwebhooks.Webhook;
import io.turnstile.proxy.testing.Browser;
import io.turnstile.proxy.testing.TestTurnstile;
import io.turnstile.proxy.testing.TestTurnstile.Answer;
import io.turnstile.proxy.testing.WebhookReceiver;
import io.turnstile.proxy.testing.WebhookReceiver.Received;
import io.turnstile.store.testing.Eventually;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Webhooks end to end inside one process: the admin API, the outbox, signed deliveries to a real HTTP receiver. */
class WebhooksIT {
  /** Plain http to loopback is allowed for these receivers; retries are quick. */
  static final String WEBHOOKS_YAML = """
      webhooks:
        allowHttp: true
        allowAddresses: [127.0.0.0/8]
        retryBase: 50ms
        poll: 50ms
        expiryCheck: 100ms
      """;

  @TempDir Path dir;
  private TestTurnstile ts;
  private final WebhookReceiver receiver;

  WebhooksIT() throws Exception {
    receiver = new WebhookReceiver();
  }

  @AfterEach
  void stop() {
    if (ts != null) {
      ts.close();
    }
    receiver.close();
  }

  private TestTurnstile start(String webhooksYaml) throws Exception {
    ts = new TestTurnstile(dir, "http://127.0.0.1:9", "", true, webhooksYaml);
    return ts;
  }

  private JsonNode endpoint(String url, String events) throws Exception {
    Answer a = ts.admin("POST", "/admin/v1/webhooks",
        "{\"url\":\"" + url + "\",\"description\":\"CRM\",\"events\":" + events + "}");
    assertThat(a.status()).as(a.raw()).isEqualTo(201);
    return a.body();
  }

  /** The bodies the receiver got, once each by webhook-id, each verified with the Standard Webhooks library. */
  private List<JsonNode> verified(String secret) throws Exception {
    Map<String, JsonNode> byId = new LinkedHashMap<>();
    for (Received r : receiver.received()) {
      new Webhook(secret).verify(r.body(), r.headers());
      JsonNode body = ts.json.readTree(r.body());
      assertThat(body.get("id").asText()).isEqualTo(r.header("webhook-id"));
      byId.putIfAbsent(r.header("webhook-id"), body);
    }
    return new ArrayList<>(byId.values());
  }

  private static List<String> types(List<JsonNode> events) {
    return events.stream().map(e -> e.get("type").asText()).toList();
  }

  @Test
  void aLicensesLifecycle_reachesTheReceiver_signed_inOrder_onceEach_withoutItsKey() throws Exception {
    start(WEBHOOKS_YAML);
    String secret = endpoint(receiver.url(), "[\"*\"]").get("secret").asText();
    assertThat(secret).startsWith("whsec_");
    String customer = ts.admin("POST", "/admin/v1/customers", "{\"name\":\"Acme\"}").body().get("id").asText();
    JsonNode created = ts.admin("POST", "/admin/v1/licenses",
        "{\"customerId\":\"" + customer + "\",\"application\":\"app\",\"versions\":[\"1.0.0\"]}").body();
    String id = created.get("id").asText();
    assertThat(ts.admin("POST", "/admin/v1/licenses/" + id + "/versions", "{\"versions\":[\"1.1.0\"]}").status())
        .isEqualTo(200);
    assertThat(ts.admin("PATCH", "/admin/v1/licenses/" + id, "{\"name\":\"Acme prod\"}").status()).isEqualTo(200);
    String rotatedKey = ts.admin("POST", "/admin/v1/licenses/" + id + "/key", null).body().get("key").asText();
    assertThat(ts.admin("DELETE", "/admin/v1/licenses/" + id, null).status()).isIn(200, 204);

    List<String> expected = List.of("customer.created", "license.created", "license.version_granted",
        "license.updated", "license.key_rotated", "license.revoked");
    Eventually.until("six events", () -> verified(secret).size() >= expected.size());
    List<JsonNode> events = verified(secret);
    assertThat(types(events)).containsExactlyElementsOf(expected);
    assertThat(events.get(2).get("data").get("versions")).hasToString("[\"1.1.0\"]");
    assertThat(events.get(2).get("data").get("id").asText()).isEqualTo(id);
    assertThat(events.get(3).get("data").get("changes")).hasToString("[\"name\"]");
    assertThat(events.get(3).get("data").get("name").asText()).isEqualTo("Acme prod");
    assertThat(events.get(5).get("data").get("state").asText()).isEqualTo("revoked");
    for (Received r : receiver.received()) {
      assertThat(r.body()).doesNotContain(created.get("key").asText()).doesNotContain(rotatedKey)
          .doesNotContain(secret);
    }
    JsonNode list = ts.admin("GET", "/admin/v1/webhooks", null).body().get("webhooks");
    assertThat(list.get(0).has("secret")).as("the secret is shown once").isFalse();
  }

  @Test
  void aReceiverAnswering500ThreeTimes_getsTheEventOnTheFourthAttempt() throws Exception {
    start(WEBHOOKS_YAML);
    receiver.answer(500, 500, 500);
    JsonNode e = endpoint(receiver.url(), "[\"customer.created\"]");
    String endpointId = e.get("id").asText();
    ts.admin("POST", "/admin/v1/customers", "{\"name\":\"Acme\"}");
    Eventually.until("the delivery succeeded", () -> {
      JsonNode d = ts.admin("GET", "/admin/v1/webhooks/" + endpointId + "/deliveries", null).body().get("deliveries");
      return d.size() == 1 && d.get(0).get("state").asText().equals("delivered");
    });
    JsonNode d = ts.admin("GET", "/admin/v1/webhooks/" + endpointId + "/deliveries", null).body().get("deliveries")
        .get(0);
    assertThat(d.get("attempts").asInt()).isEqualTo(4);
    assertThat(d.get("responseStatus").asInt()).isEqualTo(200);
    assertThat(d.get("durationMs").isNumber()).isTrue();
    assertThat(receiver.received()).hasSize(4);
    assertThat(receiver.received().stream().map(r -> r.header("webhook-id")).distinct()).hasSize(1);
    assertThat(verified(e.get("secret").asText())).hasSize(1);
    // Counted once the poller's write that recorded the success returns, a moment after it is visible.
    Eventually.until("the attempts counted", () -> metrics().contains(
        "turnstile_webhook_deliveries_total{outcome=\"delivered\"} 1.0") && metrics().contains(
        "turnstile_webhook_deliveries_total{outcome=\"retried\"} 3.0"));
  }

  @Test
  void aChangeThatFails_sendsNoEvent() throws Exception {
    start(WEBHOOKS_YAML);
    String secret = endpoint(receiver.url(), "[\"*\"]").get("secret").asText();
    String customer = ts.admin("POST", "/admin/v1/customers", "{\"name\":\"Acme\"}").body().get("id").asText();
    Answer bad = ts.admin("POST", "/admin/v1/licenses",
        "{\"customerId\":\"" + customer + "\",\"application\":\"app\",\"versions\":[\"1.0.0\", \"\"]}");
    assertThat(bad.status()).isEqualTo(400);
    ts.admin("POST", "/admin/v1/customers", "{\"name\":\"Second\"}");
    Eventually.until("both customers announced", () -> verified(secret).size() >= 2);
    assertThat(types(verified(secret))).containsExactly("customer.created", "customer.created");
  }

  @Test
  void testEvents_redelivery_andARotatedSecret() throws Exception {
    start(WEBHOOKS_YAML);
    JsonNode e = endpoint(receiver.url(), "[\"license.revoked\"]");
    String id = e.get("id").asText();
    Answer test = ts.admin("POST", "/admin/v1/webhooks/" + id + "/test", null);
    assertThat(test.status()).isEqualTo(202);
    Eventually.until("the test event", () -> receiver.received().size() == 1);
    assertThat(types(verified(e.get("secret").asText()))).containsExactly("webhook.test");

    String fresh = ts.admin("POST", "/admin/v1/webhooks/" + id + "/rotate-secret", null).body().get("secret").asText();
    assertThat(fresh).isNotEqualTo(e.get("secret").asText());
    String delivery = ts.admin("GET", "/admin/v1/webhooks/" + id + "/deliveries", null).body().get("deliveries")
        .get(0).get("id").asText();
    assertThat(ts.admin("POST", "/admin/v1/webhooks/" + id + "/deliveries/" + delivery + "/redeliver", null).status())
        .isEqualTo(202);
    Eventually.until("the redelivery", () -> receiver.received().size() == 2);
    Received again = receiver.received().get(1);
    assertThat(again.header("webhook-id")).isEqualTo(test.body().get("eventId").asText());
    new Webhook(fresh).verify(again.body(), again.headers());
  }

  @Test
  void aLicenseMadeToExpireInSixDays_isWarnedOnceAtSevenDays_notAtThirty() throws Exception {
    start(WEBHOOKS_YAML);
    String secret = endpoint(receiver.url(), "[\"license.expiring\",\"license.expired\"]").get("secret").asText();
    String customer = ts.admin("POST", "/admin/v1/customers", "{\"name\":\"Acme\"}").body().get("id").asText();
    String expires = Instant.now().plus(6, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS).toString();
    String id = ts.admin("POST", "/admin/v1/licenses", "{\"customerId\":\"" + customer
        + "\",\"application\":\"app\",\"versions\":[\"1.0.0\"],\"expiresAt\":\"" + expires + "\"}").body().get("id")
        .asText();
    Eventually.until("the warning", () -> !receiver.received().isEmpty());
    // A test event is queued after the expiry checks that follow; when it has arrived, so would a second warning.
    String endpointId = ts.admin("GET", "/admin/v1/webhooks", null).body().get("webhooks").get(0).get("id").asText();
    waitForExpiryChecks();
    ts.admin("POST", "/admin/v1/webhooks/" + endpointId + "/test", null);
    Eventually.until("the test event", () -> types(verified(secret)).contains("webhook.test"));
    List<JsonNode> events = verified(secret);
    assertThat(types(events)).containsExactly("license.expiring", "webhook.test");
    assertThat(events.get(0).get("data").get("id").asText()).isEqualTo(id);
    assertThat(events.get(0).get("data").get("daysBeforeExpiry").asInt()).isEqualTo(7);
    assertThat(events.get(0).get("data").get("expiresAt").asText()).isEqualTo(expires);
  }

  /** Waits until the expiry watch has run a few more times, by its own count of passes. */
  private void waitForExpiryChecks() throws Exception {
    double from = expiryChecks();
    Eventually.until("three more expiry checks", () -> expiryChecks() >= from + 3);
  }

  private double expiryChecks() throws Exception {
    return metrics().lines().filter(l -> l.startsWith("turnstile_webhook_expiry_checks_total"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst().orElse(0);
  }

  private String metrics() throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(ts.adminUrl() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  @Test
  void anEndpointNeedsTheAdminRole() throws Exception {
    start(WEBHOOKS_YAML);
    String editor = ts.admin("POST", "/admin/v1/api-tokens", "{\"name\":\"ci\",\"role\":\"editor\",\"expiresAt\":\""
        + Instant.now().plus(7, ChronoUnit.DAYS) + "\"}").body().get("token").asText();
    Answer a = ts.admin("POST", "/admin/v1/webhooks", "{\"url\":\"" + receiver.url() + "\"}", editor);
    assertThat(a.status()).isEqualTo(403);
    assertThat(a.body().get("roleNeeded").asText()).isEqualTo("admin");
    assertThat(ts.admin("GET", "/admin/v1/webhooks", null, editor).status()).isEqualTo(403);
  }

  @Test
  void onlyHttpsEndpoints_unlessAllowed_andNoLoopbackLiteral() throws Exception {
    start("");
    Answer http = ts.admin("POST", "/admin/v1/webhooks", "{\"url\":\"http://hooks.example.com/in\"}");
    assertThat(http.status()).isEqualTo(400);
    assertThat(http.body().get("error").asText()).contains("https");
    Answer loopback = ts.admin("POST", "/admin/v1/webhooks", "{\"url\":\"https://127.0.0.1:8443/in\"}");
    assertThat(loopback.status()).isEqualTo(400);
    assertThat(loopback.body().get("error").asText()).contains("loopback");
    Answer metadata = ts.admin("POST", "/admin/v1/webhooks", "{\"url\":\"https://[::ffff:169.254.169.254]/\"}");
    assertThat(metadata.status()).isEqualTo(400);
  }

  /**
   * The attack: a name that is public when saved (or that no one checks at save time) resolves to an
   * inner address when Turnstile connects. Here {@code localhost} stands for such a name; the
   * receiver on loopback must get nothing, and the delivery says why.
   */
  @Test
  void aNameResolvingToLoopbackAtConnectTime_isRefused_theReceiverGetsNothing() throws Exception {
    start("""
        webhooks:
          allowHttp: true
          retryBase: 50ms
          poll: 50ms
        """);
    String id = endpoint("http://localhost:" + receiver.port() + "/hooks", "[\"*\"]").get("id").asText();
    ts.admin("POST", "/admin/v1/webhooks/" + id + "/test", null);
    Eventually.until("an attempt was made", () -> {
      JsonNode d = ts.admin("GET", "/admin/v1/webhooks/" + id + "/deliveries", null).body().get("deliveries");
      return d.size() == 1 && d.get(0).get("attempts").asInt() >= 1;
    });
    JsonNode d = ts.admin("GET", "/admin/v1/webhooks/" + id + "/deliveries", null).body().get("deliveries").get(0);
    assertThat(d.get("error").asText()).contains("loopback");
    assertThat(d.get("responseStatus").isNull()).isTrue();
    assertThat(receiver.received()).isEmpty();
  }

  @Test
  void theConsole_addsAnEndpointShowingItsSecretOnce_andWarnsWhenTurnstileDisabledIt() throws Exception {
    start(WEBHOOKS_YAML.replace("poll: 50ms", "poll: 50ms\n  retryFor: 1s"));
    receiver.answer(java.util.stream.IntStream.range(0, 1000).map(i -> 500).toArray());
    Browser b = new Browser(ts.adminUrl());
    b.get("/console/sign-in");
    assertThat(b.post("/console/sign-in", Map.of("token", TestTurnstile.ADMIN_TOKEN)).statusCode()).isEqualTo(303);
    assertThat(b.get("/console/webhooks").body()).contains("No webhook endpoints.");
    assertThat(b.post("/console/webhooks", Map.of("url", receiver.url(), "description", "Support desk",
        "events", "license.created, webhook.test")).statusCode()).isEqualTo(303);
    String page = b.get("/console/webhooks").body();
    java.util.regex.Matcher secret = java.util.regex.Pattern.compile("id=\"issued-secret\">(whsec_[^<]+)<").matcher(page);
    assertThat(secret.find()).isTrue();
    assertThat(b.get("/console/webhooks").body()).as("shown once").doesNotContain(secret.group(1))
        .contains("Support desk").contains("license.created, webhook.test");
    String id = ts.admin("GET", "/admin/v1/webhooks", null).body().get("webhooks").get(0).get("id").asText();
    assertThat(b.post("/console/webhooks/" + id + "/test", Map.of()).statusCode()).isEqualTo(303);
    Eventually.until("Turnstile disabled the failing endpoint", () ->
        !ts.admin("GET", "/admin/v1/webhooks/" + id, null).body().get("enabled").asBoolean());
    assertThat(b.get("/console/webhooks").body()).contains("Disabled: disabled by Turnstile").contains("answered 500");
    assertThat(receiver.received()).isNotEmpty();
    assertThat(b.post("/console/webhooks/" + id + "/enable", Map.of()).statusCode()).isEqualTo(303);
    assertThat(ts.admin("GET", "/admin/v1/webhooks/" + id, null).body().get("disabledReason").isNull()).isTrue();
  }
}
