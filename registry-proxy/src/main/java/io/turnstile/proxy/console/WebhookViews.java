package io.turnstile.proxy.console;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** What the console's webhooks page shows, read from the admin API's JSON answers; never a secret but the one just made. */
public final class WebhookViews {
  private WebhookViews() {}

  /** An endpoint with its recent deliveries; {@code disabledReason} is set when Turnstile disabled it. */
  public record Endpoint(String id, String url, String description, String events, boolean enabled,
      String disabledReason, String failingSince, List<Delivery> deliveries) {
    static Endpoint of(JsonNode n, JsonNode deliveries) {
      List<String> events = new ArrayList<>();
      n.path("events").forEach(e -> events.add(e.asText()));
      List<Delivery> recent = new ArrayList<>();
      deliveries.forEach(d -> recent.add(Delivery.of(d)));
      return new Endpoint(n.path("id").asText(), n.path("url").asText(), n.path("description").asText(),
          String.join(", ", events), n.path("enabled").asBoolean(), text(n, "disabledReason"),
          text(n, "failingSince"), recent);
    }
  }

  /** One delivery as listed. */
  public record Delivery(String id, String eventType, String state, int attempts, String status, String durationMs,
      String at, String error) {
    static Delivery of(JsonNode d) {
      String at = text(d, "lastAttemptAt");
      return new Delivery(d.path("id").asText(), d.path("eventType").asText(), d.path("state").asText(),
          d.path("attempts").asInt(), text(d, "responseStatus"), text(d, "durationMs"),
          at.isEmpty() ? text(d, "createdAt") : at, text(d, "error"));
    }
  }

  /** A signing secret just made, shown once. */
  public record IssuedSecret(String url, String secret) {
    @Override
    public String toString() {
      return "IssuedSecret[" + url + ", secret=***]";
    }
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.path(field);
    return v.isNull() || v.isMissingNode() ? "" : v.asText();
  }
}
