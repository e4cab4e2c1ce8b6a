package io.turnstile.proxy.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.turnstile.proxy.console.AdminCalls.Answer;
import io.turnstile.proxy.web.Frame;
import io.turnstile.proxy.web.Pages;
import io.turnstile.proxy.web.Sessions;
import io.turnstile.proxy.web.WebRequest;
import io.turnstile.proxy.web.WebResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The console's webhooks screen: endpoints (added, enabled or disabled, tested, given a new secret,
 * deleted), a warning for each one Turnstile disabled, and each endpoint's recent deliveries with a
 * redeliver button. Everything goes through {@link AdminCalls}, so the admin API checks the role
 * (admin) here as for the API. A signing secret is shown once, on the page after it is made.
 */
final class WebhookScreens {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final String HOME = Console.PREFIX + "/webhooks";
  /** Deliveries shown per endpoint. */
  static final int RECENT = 10;

  private final AdminCalls api;
  private final Pages pages;

  WebhookScreens(AdminCalls api, Pages pages) {
    this.api = api;
    this.pages = pages;
  }

  static boolean owns(List<String> p) {
    return p.get(0).equals("webhooks");
  }

  /** The answer for {@code p}, or null for none. */
  WebResponse route(WebRequest r, List<String> p, Sessions.Session<?> s, Frame frame) {
    int n = p.size();
    if (n == 1) {
      return r.isPost() ? create(r, s) : list(s, frame);
    }
    if (!r.isPost()) {
      return null;
    }
    String base = "webhooks/" + AdminCalls.segment(p.get(1));
    if (n == 3) {
      return switch (p.get(2)) {
        case "test" -> done(s, api.post(base + "/test", null), "Test event queued.");
        case "enable" -> done(s, api.patch(base, NODES.objectNode().put("enabled", true)), "Endpoint enabled.");
        case "disable" -> done(s, api.patch(base, NODES.objectNode().put("enabled", false)), "Endpoint disabled.");
        case "delete" -> done(s, api.delete(base), "Endpoint deleted.");
        case "rotate-secret" -> issued(s, api.post(base + "/rotate-secret", null), "New signing secret made.");
        default -> null;
      };
    }
    if (n == 5 && p.get(2).equals("deliveries") && p.get(4).equals("redeliver")) {
      return done(s, api.post(base + "/deliveries/" + AdminCalls.segment(p.get(3)) + "/redeliver", null),
          "Delivery queued again.");
    }
    return null;
  }

  private WebResponse list(Sessions.Session<?> s, Frame frame) {
    Answer a = api.get("webhooks");
    List<WebhookViews.Endpoint> endpoints = new ArrayList<>();
    List<String> types = new ArrayList<>();
    String problem = null;
    if (a.ok()) {
      for (JsonNode e : a.body().path("webhooks")) {
        Answer d = api.get("webhooks/" + AdminCalls.segment(e.path("id").asText()) + "/deliveries",
            Map.of("limit", List.of(Integer.toString(RECENT))));
        endpoints.add(WebhookViews.Endpoint.of(e, d.ok() ? d.body().path("deliveries") : NODES.arrayNode()));
      }
      a.body().path("eventTypes").forEach(t -> types.add(t.asText()));
    } else {
      problem = a.error();
    }
    Map<String, Object> params = new HashMap<>();
    params.put("frame", frame);
    params.put("endpoints", endpoints);
    params.put("eventTypes", types);
    params.put("problem", problem);
    params.put("issued", s.take("issuedSecret", WebhookViews.IssuedSecret.class));
    return WebResponse.html(200, pages.render("console/webhooks.jte", params));
  }

  private WebResponse create(WebRequest r, Sessions.Session<?> s) {
    ObjectNode body = NODES.objectNode().put("url", r.field("url") == null ? "" : r.field("url").strip())
        .put("description", r.field("description") == null ? "" : r.field("description").strip());
    String events = r.field("events");
    ArrayNode list = body.putArray("events");
    if (events == null || events.isBlank()) {
      list.add("*");
    } else {
      Arrays.stream(events.split("[,\\s]+")).filter(x -> !x.isBlank()).forEach(list::add);
    }
    return issued(s, api.post("webhooks", body), "Endpoint added. Copy its signing secret now: it is shown only once.");
  }

  private static WebResponse issued(Sessions.Session<?> s, Answer a, String notice) {
    if (!a.ok()) {
      s.flash("error", a.error());
    } else {
      s.flash("issuedSecret", new WebhookViews.IssuedSecret(a.body().path("url").asText(),
          a.body().path("secret").asText()));
      s.flash("notice", notice);
    }
    return WebResponse.redirect(HOME);
  }

  private static WebResponse done(Sessions.Session<?> s, Answer a, String notice) {
    s.flash(a.ok() ? "notice" : "error", a.ok() ? notice : a.error());
    return WebResponse.redirect(HOME);
  }
}
