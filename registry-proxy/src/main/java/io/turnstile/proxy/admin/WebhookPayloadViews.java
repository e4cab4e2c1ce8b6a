package io.turnstile.proxy.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.turnstile.store.WebhookEvent;
import io.turnstile.store.WebhookPayloads;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The JSON a webhook carries: {@code {"id", "type", "timestamp", "data"}}, where {@code data} is the
 * license (or customer) exactly as the admin API shows it, without its history, plus what the event
 * adds ({@code changes} of a {@code license.updated}, the {@code versions} granted, ...). Built from
 * the same views as the admin API's answers, so it never holds a key or a password.
 */
public final class WebhookPayloadViews implements WebhookPayloads {
  /** Details that are one value, not a list. */
  private static final List<String> SINGLE = List.of("version", "range", "repository", "daysBeforeExpiry",
      "expiresAt", "endpoint", "limit", "period", "mode", "used", "amount");
  /** Single details that are numbers. */
  private static final List<String> NUMBERS = List.of("daysBeforeExpiry", "used", "amount");

  private final ObjectMapper json;
  private final AdminViews views;

  /** Payloads whose licenses show no entitlements (no application is known). */
  public WebhookPayloadViews(ObjectMapper json, Clock clock) {
    this(json, clock, () -> io.turnstile.store.EntitlementFields.of(new io.turnstile.store.Catalog(List.of())));
  }

  /**
   * Payloads whose licenses show their entitlements as the admin API does, by {@code entitlements}
   * (the store's snapshot's fields, asked at each payload).
   */
  public WebhookPayloadViews(ObjectMapper json, Clock clock,
      java.util.function.Supplier<io.turnstile.store.EntitlementFields> entitlements) {
    this.json = json;
    this.views = new AdminViews(json, clock, entitlements);
  }

  @Override
  public String render(WebhookEvent e) {
    ObjectNode out = json.createObjectNode().put("id", e.id()).put("type", e.type())
        .put("timestamp", e.at().toString());
    ObjectNode data = e.license() != null ? views.license(e.license(), null)
        : e.customer() != null ? views.customer(e.customer()) : json.createObjectNode();
    if (e.license() != null && e.customer() != null) {
      data.put("customerName", e.customer().name());
    }
    for (Map.Entry<String, List<String>> d : new TreeMap<>(e.details()).entrySet()) {
      if (SINGLE.contains(d.getKey()) && d.getValue().size() == 1) {
        String v = d.getValue().get(0);
        if (NUMBERS.contains(d.getKey())) {
          data.put(d.getKey(), Long.parseLong(v));
        } else {
          data.put(d.getKey(), v);
        }
      } else {
        ArrayNode a = data.putArray(d.getKey());
        d.getValue().forEach(a::add);
      }
    }
    out.set("data", data);
    try {
      return json.writeValueAsString(out);
    } catch (JsonProcessingException ex) {
      throw new IllegalStateException(ex);
    }
  }
}
