package io.turnstile.proxy.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.turnstile.proxy.webhooks.AddressPolicy;
import io.turnstile.store.IssuedWebhookSecret;
import io.turnstile.store.WebhookDelivery;
import io.turnstile.store.WebhookEndpoint;
import io.turnstile.store.Webhooks;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code /admin/v1/webhooks}: endpoints, their deliveries, redelivery and test events (the admin
 * role, decided by {@link Permissions}). An endpoint's signing secret is in the answers that create
 * or rotate it and nowhere else. A URL is checked against the {@link AddressPolicy} here, and again
 * at every connection.
 */
final class WebhooksApi {
  private static final Set<String> FIELDS = Set.of("url", "description", "events", "enabled");
  private static final int DEFAULT_DELIVERIES = 50;
  private static final int MAX_DELIVERIES = 1000;

  private final Webhooks webhooks;
  private final AddressPolicy policy;
  private final ObjectMapper json;

  WebhooksApi(Webhooks webhooks, AddressPolicy policy, ObjectMapper json) {
    this.webhooks = webhooks;
    this.policy = policy;
    this.json = json;
  }

  /** Serves a call whose path segments {@code p} start with {@code webhooks}. */
  AdminResponse route(String method, List<String> p, Map<String, List<String>> query, byte[] body, String actor) {
    int n = p.size();
    if (n == 1) {
      return switch (method) {
        case "GET" -> list();
        case "POST" -> create(body, actor);
        default -> throw ApiError.notAllowed("GET, POST");
      };
    }
    String id = p.get(1);
    if (n == 2) {
      return switch (method) {
        case "GET" -> AdminResponse.ok(view(webhooks.endpoint(id)));
        case "PATCH" -> update(id, body, actor);
        case "DELETE" -> {
          webhooks.delete(id, actor);
          yield AdminResponse.noContent();
        }
        default -> throw ApiError.notAllowed("GET, PATCH, DELETE");
      };
    }
    String sub = p.get(2);
    if (n == 3 && sub.equals("rotate-secret")) {
      post(method);
      return AdminResponse.ok(issued(webhooks.rotateSecret(id, actor)));
    }
    if (n == 3 && sub.equals("test")) {
      post(method);
      return new AdminResponse(202, json.createObjectNode().put("eventId", webhooks.sendTest(id, actor)));
    }
    if (n == 3 && sub.equals("deliveries")) {
      if (!method.equals("GET")) {
        throw ApiError.notAllowed("GET");
      }
      return deliveries(id, new LogQuery(query, Set.of("limit"), null));
    }
    if (n == 5 && sub.equals("deliveries") && p.get(4).equals("redeliver")) {
      post(method);
      return new AdminResponse(202, delivery(webhooks.redeliver(id, p.get(3), actor)));
    }
    throw new ApiError(404, "no such admin resource");
  }

  private static void post(String method) {
    if (!method.equals("POST")) {
      throw ApiError.notAllowed("POST");
    }
  }

  private AdminResponse list() {
    ObjectNode out = json.createObjectNode();
    ArrayNode list = out.putArray("webhooks");
    webhooks.endpoints().forEach(e -> list.add(view(e)));
    ArrayNode types = out.putArray("eventTypes");
    io.turnstile.store.WebhookEvent.TYPES.forEach(types::add);
    return AdminResponse.ok(out);
  }

  private AdminResponse create(byte[] body, String actor) {
    JsonBody b = JsonBody.parse(json, body, FIELDS);
    URI url = url(b.text("url", true));
    List<String> events = b.has("events") ? b.strings("events", true) : List.of("*");
    Boolean enabled = b.bool("enabled");
    return AdminResponse.created(issued(webhooks.create(url, b.text("description", false), events,
        enabled == null || enabled, actor)));
  }

  private AdminResponse update(String id, byte[] body, String actor) {
    JsonBody b = JsonBody.parse(json, body, FIELDS);
    String u = b.text("url", false);
    List<String> events = b.has("events") && !b.isNull("events") ? b.strings("events", true) : null;
    return AdminResponse.ok(view(webhooks.update(id, u == null ? null : url(u), b.text("description", false),
        events, b.bool("enabled"), actor)));
  }

  private URI url(String text) {
    URI u;
    try {
      u = new URI(text);
    } catch (URISyntaxException e) {
      throw ApiError.badRequest("url", "is not a URL: " + e.getReason());
    }
    if (!u.isAbsolute() || u.getHost() == null) {
      throw ApiError.badRequest("url", "must be an absolute URL with a host");
    }
    String refused = policy.refusal(u);
    if (refused != null) {
      throw ApiError.badRequest("url", refused);
    }
    return u;
  }

  private AdminResponse deliveries(String id, LogQuery q) {
    int limit = q.limit == null ? DEFAULT_DELIVERIES : q.limit;
    if (limit < 1 || limit > MAX_DELIVERIES) {
      throw ApiError.badRequest("limit", "must be between 1 and " + MAX_DELIVERIES);
    }
    ObjectNode out = json.createObjectNode();
    ArrayNode list = out.putArray("deliveries");
    webhooks.deliveries(id, limit).forEach(d -> list.add(delivery(d)));
    return AdminResponse.ok(out);
  }

  private ObjectNode issued(IssuedWebhookSecret s) {
    return view(s.endpoint()).put("secret", s.secret());
  }

  ObjectNode view(WebhookEndpoint e) {
    ObjectNode v = json.createObjectNode().put("id", e.id()).put("url", e.url().toString())
        .put("description", e.description());
    ArrayNode types = v.putArray("events");
    e.eventTypes().forEach(types::add);
    return v.put("enabled", e.enabled()).put("createdAt", e.createdAt().toString())
        .put("updatedAt", e.updatedAt().toString())
        .put("failingSince", e.failingSince() == null ? null : e.failingSince().toString())
        .put("disabledReason", e.disabledReason());
  }

  private ObjectNode delivery(WebhookDelivery d) {
    return json.createObjectNode().put("id", d.id()).put("eventId", d.eventId()).put("eventType", d.eventType())
        .put("state", d.state()).put("attempts", d.attempts()).put("createdAt", d.createdAt().toString())
        .put("nextAttemptAt", d.state().equals("pending") ? d.nextAttemptAt().toString() : null)
        .put("lastAttemptAt", d.lastAttemptAt() == null ? null : d.lastAttemptAt().toString())
        .put("responseStatus", d.lastStatus())
        .put("durationMs", d.lastDuration() == null ? null : d.lastDuration().toMillis())
        .put("error", d.lastError());
  }
}
