package io.turnstile.proxy.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.turnstile.proxy.admin.AdminResponse;
import io.turnstile.proxy.console.AdminCalls.Answer;
import io.turnstile.proxy.web.Sessions;
import io.turnstile.proxy.web.WebRequest;
import io.turnstile.proxy.web.WebResponse;
import java.util.List;

/**
 * A license's entitlements in the console: the fields of its application with the license's
 * values, the form that changes them (one {@code PATCH}, so the change is one history entry and
 * one {@code license.updated}), and the license file download. Form fields are named {@code
 * ent.<field>} (on the license page) or {@code ent.<application>.<field>} (on the create form, which
 * offers every application's fields); an empty one means the field's default.
 */
final class EntitlementScreens {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final AdminCalls api;

  EntitlementScreens(AdminCalls api) {
    this.api = api;
  }

  /** The fields of {@code application} valued from the license's {@code entitlements}. */
  List<Views.Entitlement> of(String application, JsonNode entitlements) {
    Answer a = api.get("applications/" + AdminCalls.segment(application) + "/entitlements");
    return a.ok() ? Views.Entitlement.fields(a.body().path("entitlements"), entitlements) : List.of();
  }

  /** Save on the license page: the values as the form has them, empty ones back to the default. */
  WebResponse save(WebRequest r, Sessions.Session<?> s, String apiPath, String page, String application) {
    ObjectNode values = NODES.objectNode();
    for (Views.Entitlement f : of(application, null)) {
      String v = r.field("ent." + f.name());
      if (v != null) {
        put(values, f.name(), v, true);
      }
    }
    Answer a = api.patch(apiPath, NODES.objectNode().set("entitlements", values));
    if (a.ok()) {
      s.flash("notice", "Entitlements saved. The customer's license file is re-issued with them.");
    } else {
      s.flash("error", a.error());
    }
    return WebResponse.redirect(page);
  }

  /** The create form's values for the chosen {@code application}; empty ones are left to the default. */
  static ObjectNode fromCreateForm(WebRequest r, Views.Application application) {
    ObjectNode values = NODES.objectNode();
    for (Views.Entitlement f : application.entitlements()) {
      String v = r.field("ent." + application.name() + "." + f.name());
      if (v != null) {
        put(values, f.name(), v, false);
      }
    }
    return values;
  }

  private static void put(ObjectNode values, String name, String text, boolean resets) {
    String v = text.strip();
    if (!v.isEmpty()) {
      values.put(name, v);
    } else if (resets) {
      values.putNull(name);
    }
  }

  /** The license file as a download, or the API's refusal as text. */
  WebResponse file(String id) {
    AdminResponse r = api.raw("licenses/" + AdminCalls.segment(id) + "/file");
    if (r.streamed() == null) {
      return WebResponse.text(r.status(), r.body() == null ? "failed" : r.body().path("error").asText("failed"));
    }
    return WebResponse.bytes(200, io.turnstile.proxy.licensing.LicenseFiles.MEDIA_TYPE, r.streamedBytes())
        .header("Content-Disposition", "attachment; filename=\"" + id + ".jwt\"")
        .header("Cache-Control", "no-store");
  }
}
