package io.turnstile.proxy.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.turnstile.store.CustomerId;
import io.turnstile.store.CustomerKey;
import io.turnstile.store.LicenseStore;
import java.util.List;
import java.util.Set;

/**
 * Customers and their keys: {@code /admin/v1/customers} (create, list), {@code
 * /admin/v1/customers/{id}} (read with its pull summary, rename, delete, which revokes its licenses
 * and keys) and {@code /admin/v1/customers/{id}/keys[/{keyId}]} (issue, list, revoke). A key's
 * secret is in the answer that issues it and in no other; a list names keys by id only.
 */
final class CustomersApi {
  private final LicenseStore store;
  private final AdminViews views;
  private final PullsApi pulls;
  private final ObjectMapper json;

  CustomersApi(LicenseStore store, AdminViews views, PullsApi pulls, ObjectMapper json) {
    this.store = store;
    this.views = views;
    this.pulls = pulls;
    this.json = json;
  }

  /** Serves {@code p} (the path's segments, {@code customers} first) for {@code actor}. */
  AdminResponse route(String method, List<String> p, byte[] body, String actor) {
    int n = p.size();
    if (n == 1) {
      return switch (method) {
        case "POST" -> create(body, actor);
        case "GET" -> list();
        default -> throw ApiError.notAllowed("GET, POST");
      };
    }
    CustomerId id = new CustomerId(p.get(1));
    if (n == 2) {
      return switch (method) {
        case "GET" -> AdminResponse.ok(views.customer(store.customer(id)).set("pulls", pulls.summary(id)));
        case "PATCH" -> rename(id, body, actor);
        case "DELETE" -> {
          store.deleteCustomer(id, actor);
          yield AdminResponse.noContent();
        }
        default -> throw ApiError.notAllowed("GET, PATCH, DELETE");
      };
    }
    if (p.get(2).equals("keys")) {
      if (n == 3) {
        return switch (method) {
          case "POST" -> AdminResponse.created(views.issuedKey(store.createCustomerKey(id, actor)));
          case "GET" -> listKeys(id);
          default -> throw ApiError.notAllowed("GET, POST");
        };
      }
      if (n == 4) {
        if (!method.equals("DELETE")) throw ApiError.notAllowed("DELETE");
        store.revokeCustomerKey(id, p.get(3), actor);
        return AdminResponse.noContent();
      }
    }
    throw new ApiError(404, "no such admin resource");
  }

  private AdminResponse create(byte[] body, String actor) {
    JsonBody b = JsonBody.parse(json, body, Set.of("name"));
    return AdminResponse.created(views.customer(store.createCustomer(b.text("name", true), actor)));
  }

  private AdminResponse rename(CustomerId id, byte[] body, String actor) {
    JsonBody b = JsonBody.parse(json, body, Set.of("name"));
    return AdminResponse.ok(views.customer(store.renameCustomer(id, b.text("name", true), actor)));
  }

  private AdminResponse list() {
    ArrayNode list = json.createArrayNode();
    store.customers().forEach(c -> list.add(views.customer(c)));
    ObjectNode out = json.createObjectNode();
    out.set("customers", list);
    return AdminResponse.ok(out);
  }

  private AdminResponse listKeys(CustomerId id) {
    ArrayNode list = json.createArrayNode();
    for (CustomerKey k : store.customerKeys(id)) {
      list.addObject().put("keyId", k.id()).put("username", id.value()).put("createdAt", k.createdAt().toString());
    }
    ObjectNode out = json.createObjectNode();
    out.set("keys", list);
    return AdminResponse.ok(out);
  }
}
