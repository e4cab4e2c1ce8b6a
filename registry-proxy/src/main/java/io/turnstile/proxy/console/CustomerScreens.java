package io.turnstile.proxy.console;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.turnstile.proxy.console.AdminCalls.Answer;
import io.turnstile.proxy.web.Frame;
import io.turnstile.proxy.web.Pages;
import io.turnstile.proxy.web.Sessions;
import io.turnstile.proxy.web.WebRequest;
import io.turnstile.proxy.web.WebResponse;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The console's customer screens ({@code /console/customers...}): the list with its search, a
 * customer's page with its keys and licenses, and the changes made there (create, rename, delete,
 * issue and revoke a customer key), each read and made through {@link AdminCalls}. A new customer
 * whose name another already bears is created, with a notice naming the others.
 */
final class CustomerScreens {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final AdminCalls api;
  private final Pages pages;
  private final String registryHost;
  private final Clock clock;

  CustomerScreens(AdminCalls api, Pages pages, String registryHost, Clock clock) {
    this.api = api;
    this.pages = pages;
    this.registryHost = registryHost;
    this.clock = clock;
  }

  /** The answer for {@code p} (segments after {@code /console/}, the first "customers"), or null for none. */
  WebResponse route(WebRequest r, List<String> p, Sessions.Session<?> s, Frame frame) {
    int n = p.size();
    if (n == 1) {
      return r.isPost() ? create(r, s) : list(r, frame);
    }
    String id = p.get(1);
    String back = Console.PREFIX + "/customers/" + AdminCalls.segment(id);
    if (n == 2 && r.isGet()) {
      return customer(id, s, frame);
    }
    if (n == 3 && r.isPost() && p.get(2).equals("delete")) {
      return ConsoleScreens.change(s, api.delete("customers/" + AdminCalls.segment(id)),
          "Customer deleted; its licenses and keys are revoked.", Console.PREFIX + "/customers", back);
    }
    if (n == 3 && r.isPost() && p.get(2).equals("name")) {
      String name = r.field("name") == null ? "" : r.field("name").strip();
      return ConsoleScreens.change(s, api.patch("customers/" + AdminCalls.segment(id),
          NODES.objectNode().put("name", name)), "Renamed to " + name + ".", back, back);
    }
    if (n == 3 && r.isPost() && p.get(2).equals("keys")) {
      return ConsoleScreens.issued(s, api.post("customers/" + AdminCalls.segment(id) + "/keys", null), back,
          registryHost);
    }
    if (n == 5 && r.isPost() && p.get(2).equals("keys") && p.get(4).equals("revoke")) {
      return ConsoleScreens.change(s, api.delete("customers/" + AdminCalls.segment(id) + "/keys/"
          + AdminCalls.segment(p.get(3))), "Key revoked.", back, back);
    }
    return null;
  }

  /** Every customer's name by its id, in the API's order. */
  Map<String, String> names() {
    Map<String, String> names = new LinkedHashMap<>();
    api.get("customers").body().path("customers").forEach(c -> names.put(c.path("id").asText(), c.path("name").asText()));
    return names;
  }

  private WebResponse list(WebRequest r, Frame frame) {
    Answer a = api.get("customers");
    String q = r.param("q") == null ? "" : r.param("q").strip();
    List<Views.Customer> list = new ArrayList<>();
    a.body().path("customers").forEach(c -> {
      Views.Customer v = Views.Customer.of(c);
      if (q.isEmpty() || ConsoleScreens.contains(v.name(), q) || ConsoleScreens.contains(v.id(), q)) {
        list.add(v);
      }
    });
    return ConsoleScreens.page(pages, "console/customers.jte", frame, Map.of("customers", list, "q", q));
  }

  private WebResponse create(WebRequest r, Sessions.Session<?> s) {
    String name = r.field("name") == null ? "" : r.field("name");
    List<String> sameName = new ArrayList<>();
    names().forEach((id, existing) -> {
      if (existing.strip().equalsIgnoreCase(name.strip())) {
        sameName.add(id);
      }
    });
    ObjectNode body = NODES.objectNode().put("name", name);
    Answer a = api.post("customers", body);
    if (!a.ok()) {
      s.flash("error", a.error());
      return WebResponse.redirect(Console.PREFIX + "/customers");
    }
    s.flash("notice", sameName.isEmpty() ? "Customer created."
        : "Customer created. Note: " + String.join(", ", sameName) + " already bears the name " + name.strip()
            + "; tell them apart by their ids.");
    return WebResponse.redirect(Console.PREFIX + "/customers/" + AdminCalls.segment(a.body().path("id").asText()));
  }

  private WebResponse customer(String id, Sessions.Session<?> s, Frame frame) {
    Answer c = api.get("customers/" + AdminCalls.segment(id));
    if (!c.ok()) {
      return WebResponse.text(c.status(), c.error());
    }
    Views.Customer customer = Views.Customer.of(c.body());
    List<Views.Key> keys = new ArrayList<>();
    api.get("customers/" + AdminCalls.segment(id) + "/keys").body().path("keys")
        .forEach(k -> keys.add(new Views.Key(k.path("keyId").asText(), k.path("createdAt").asText())));
    List<Views.License> licenses = new ArrayList<>();
    Instant now = clock.instant();
    api.get("licenses", Map.of("customerId", List.of(id))).body().path("licenses")
        .forEach(l -> licenses.add(Views.License.of(l, customer.name(), now)));
    Map<String, Object> params = new HashMap<>();
    params.put("customer", customer);
    params.put("keys", keys);
    params.put("licenses", licenses);
    params.put("issued", s.take("issued", Views.IssuedKey.class));
    return ConsoleScreens.page(pages, "console/customer.jte", frame, params);
  }
}
