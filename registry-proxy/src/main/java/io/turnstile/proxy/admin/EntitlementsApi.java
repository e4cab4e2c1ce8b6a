package io.turnstile.proxy.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.turnstile.config.EntitlementField;
import io.turnstile.config.EntitlementType;
import io.turnstile.config.InvalidValueException;
import io.turnstile.store.EntitlementDefinitions;
import io.turnstile.store.EntitlementFields;
import io.turnstile.store.LicenseStore;
import java.util.List;
import java.util.Set;

/**
 * An application's entitlement fields through the admin API: {@code GET
 * /admin/v1/applications/{name}/entitlements} lists the configured and the API-defined ones, each
 * with its {@code source}; {@code PUT .../entitlements/{field}} ({@code {"type", "default"?,
 * "visible"?}}) defines one or changes it, {@code DELETE} deletes one. Fields are read from the
 * store's snapshot, the same one that license files, the portal and validation read.
 */
final class EntitlementsApi {
  private final LicenseStore store;
  private final ObjectMapper json;

  EntitlementsApi(LicenseStore store, ObjectMapper json) {
    this.store = store;
    this.json = json;
  }

  /** Whether this serves {@code p}: {@code applications/{name}/entitlements[/{field}]}. */
  static boolean handles(List<String> p) {
    return (p.size() == 3 || p.size() == 4) && p.get(0).equals("applications") && p.get(2).equals("entitlements");
  }

  AdminResponse route(String method, List<String> p, byte[] body, String actor) {
    // The method first: a method the route does not take is 405 whatever the application.
    if (p.size() == 3 && !method.equals("GET")) throw ApiError.notAllowed("GET");
    if (p.size() == 4 && !method.equals("PUT") && !method.equals("DELETE")) throw ApiError.notAllowed("PUT, DELETE");
    String application = p.get(1);
    if (store.snapshot().catalog().application(application).isEmpty()) {
      throw new ApiError(404, "no application '" + application + "'");
    }
    if (p.size() == 3) {
      ObjectNode out = json.createObjectNode();
      out.set("entitlements", fields(application));
      return AdminResponse.ok(out);
    }
    if (method.equals("PUT")) {
      return define(application, p.get(3), body, actor);
    }
    store.entitlementDefinitions().delete(application, p.get(3), actor);
    return AdminResponse.noContent();
  }

  /** {@code application}'s fields as the API lists them, configured ones first. */
  ArrayNode fields(String application) {
    ArrayNode out = json.createArrayNode();
    for (EntitlementFields.Field f : store.snapshot().entitlements().of(application)) {
      out.add(field(f));
    }
    return out;
  }

  private ObjectNode field(EntitlementFields.Field field) {
    EntitlementField f = field.definition();
    ObjectNode o = json.createObjectNode().put("name", f.name()).put("type", f.type().wireName());
    o.set("default", f.defaultValue() == null ? null : json.valueToTree(f.type().typed(f.defaultValue())));
    o.put("visible", f.visible());
    o.put("source", field.source().wireName());
    return o;
  }

  private AdminResponse define(String application, String name, byte[] body, String actor) {
    JsonBody b = JsonBody.parse(json, body, Set.of("type", "default", "visible"));
    String typeName = b.text("type", true);
    EntitlementType type = EntitlementType.of(typeName);
    if (type == null) {
      throw ApiError.badRequest("type", "'" + typeName + "' is not integer, boolean, string or date");
    }
    Boolean visible = b.bool("visible");
    EntitlementField field;
    try {
      field = new EntitlementField(name, type, defaultValue(b.node("default")), visible != null && visible);
    } catch (InvalidValueException e) {
      throw ApiError.badRequest(e.field(), e.problem());
    }
    EntitlementDefinitions.Defined d = store.entitlementDefinitions().define(application, field, actor);
    return d.created() ? AdminResponse.created(field(d.field())) : AdminResponse.ok(field(d.field()));
  }

  /** The default as text of its type (checked by the field), or null when absent or JSON null. */
  private static String defaultValue(JsonNode n) {
    if (n == null || n.isNull()) {
      return null;
    }
    if (!(n.isTextual() || n.isBoolean() || n.isNumber())) {
      throw ApiError.badRequest("default", "must be a number, a boolean, a string or null");
    }
    return n.asText();
  }
}
