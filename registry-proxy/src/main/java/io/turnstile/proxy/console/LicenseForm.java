package io.turnstile.proxy.console;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.turnstile.config.Versions;
import io.turnstile.proxy.console.AdminCalls.Answer;
import io.turnstile.proxy.web.Frame;
import io.turnstile.proxy.web.Pages;
import io.turnstile.proxy.web.Sessions;
import io.turnstile.proxy.web.WebRequest;
import io.turnstile.proxy.web.WebResponse;
import io.turnstile.store.InvalidInputException;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * "Create a License": the form, and what its Save does. A refused form comes back as it was
 * filled in (all but the upstream password), with each message beside its field in the form's own
 * words. Three choices are asked for rather than assumed: a license that grants nothing, an expiry
 * that cuts the customer off at once, and versions that no repository has at the upstream (a
 * typo, or a release still to come).
 */
final class LicenseForm {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final AdminCalls api;
  private final Pages pages;
  private final String registryHost;
  private final Clock clock;

  LicenseForm(AdminCalls api, Pages pages, String registryHost, Clock clock) {
    this.api = api;
    this.pages = pages;
    this.registryHost = registryHost;
    this.clock = clock;
  }

  /** The empty form; {@code customer} preselected when it was opened from that customer's page. */
  WebResponse empty(WebRequest r, Frame frame) {
    LicenseDraft draft = LicenseDraft.EMPTY.forCustomer(r.param("customer") == null ? "" : r.param("customer"));
    return form(200, frame, draft, Map.of(), List.of(), false);
  }

  /** Save: creates the license, or answers the form again with what to mend or confirm. */
  WebResponse save(WebRequest r, Sessions.Session<?> s, Frame frame) {
    LicenseDraft d = LicenseDraft.of(r);
    List<Views.Application> applications = applications();
    Map<String, String> errors = new LinkedHashMap<>();
    if (d.versions().isEmpty() && d.moreVersionList().isEmpty() && d.rangeList().isEmpty() && !d.grantNothing()) {
      errors.put("versions", "Versions: pick or type at least one version or range, or choose to grant nothing for now.");
    }
    boolean pastExpiry = cutsOffAtOnce(d.expiresAt());
    if (pastExpiry && !d.confirmExpiry()) {
      errors.put("expiresAt", "Expires on: " + d.expiresAt() + " is today or earlier, so the customer would be cut off at"
          + " once. Confirm below, or pick a later day.");
    }
    List<String> malformed = d.moreVersionList().stream().filter(v -> !Versions.isValidVersion(v)).toList();
    List<String> unknown = unknownAtTheUpstream(applications, d.application(), d.moreVersionList());
    if (!malformed.isEmpty()) {
      errors.put("moreVersions", "Other versions: " + InvalidInputException.quoted(malformed.get(0)) + " is not a valid"
          + " version (letters, digits, '.', '_', '-', '+'; at most 128)");
    } else if (!unknown.isEmpty() && !d.confirmUnknown()) {
      errors.put("moreVersions", "Other versions: not found at the upstream: " + String.join(", ", unknown)
          + ". Mend a typo, or confirm below to grant " + (unknown.size() == 1 ? "it" : "them")
          + " anyway, for a release still to come.");
    }
    if (!errors.isEmpty()) {
      return form(400, frame, d, errors, unknown, pastExpiry);
    }
    ObjectNode body = body(d);
    applications.stream().filter(app -> app.name().equals(d.application())).findFirst()
        .map(app -> EntitlementScreens.fromCreateForm(r, app)).filter(v -> !v.isEmpty())
        .ifPresent(v -> body.set("entitlements", v));
    Answer a = api.post("licenses", body);
    if (!a.ok()) {
      String field = a.body() == null ? null : a.body().path("field").asText(null);
      String where = field(field);
      // An entitlement's message keeps the field's name: the form has several.
      errors.put(where, label(where) + ": " + (where.equals("entitlements") ? field.substring("entitlements.".length())
          + ": " : "") + problem(field, a.error()));
      return form(a.status() == 403 ? 403 : 400, frame, d, errors, unknown, pastExpiry);
    }
    String id = a.body().path("id").asText();
    s.flash("issued", new Views.IssuedKey(a.body().path("username").asText(), a.body().path("key").asText(), registryHost));
    s.flash("notice", "License created. Copy its key now: it is shown only once.");
    return WebResponse.redirect(Console.PREFIX + "/licenses/" + AdminCalls.segment(id));
  }

  private ObjectNode body(LicenseDraft d) {
    ObjectNode body = NODES.objectNode();
    body.put("name", d.name().isBlank() ? null : d.name().strip());
    body.put("customerId", d.customerId());
    body.put("application", d.application());
    body.put("expiresAt", d.expiresAt().isBlank() ? null : d.expiresAt().strip());
    Set<String> versions = new LinkedHashSet<>(d.versions());
    versions.addAll(d.moreVersionList());
    versions.forEach(body.putArray("versions")::add);
    if (!d.rangeList().isEmpty()) {
      var list = body.putArray("ranges");
      d.rangeList().forEach(x -> list.addObject().put("range", x).put("includePrerelease", d.includePrerelease()));
    }
    body.put("keepReleasedBeforeExpiry", d.keepReleased());
    String password = d.upstreamPassword();
    if (!d.upstreamUsername().isBlank() || (password != null && !password.isEmpty())) {
      body.putObject("upstreamCredentials").put("username", d.upstreamUsername().isBlank() ? null : d.upstreamUsername().strip())
          .put("password", password);
    }
    return body;
  }

  /** Whether a bare date, which means 00:00 UTC of that day, is already past. */
  boolean cutsOffAtOnce(String day) {
    if (day == null || day.isBlank()) {
      return false;
    }
    try {
      return !LocalDate.parse(day.strip()).isAfter(LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC));
    } catch (DateTimeParseException e) {
      return false;
    }
  }

  /**
   * The typed versions that no repository of {@code application} has at the upstream; none when
   * the upstream's tags are not known (then nothing can be said of them).
   */
  static List<String> unknownAtTheUpstream(List<Views.Application> applications, String application, List<String> typed) {
    for (Views.Application a : applications) {
      if (a.name().equals(application) && a.versionsError() == null) {
        List<String> out = new ArrayList<>();
        for (String v : typed) {
          if (!a.versions().contains(v) && Versions.isValidVersion(v)) {
            out.add(v);
          }
        }
        return out;
      }
    }
    return List.of();
  }

  List<Views.Application> applications() {
    List<Views.Application> applications = new ArrayList<>();
    api.get("applications").body().path("applications").forEach(a -> applications.add(Views.Application.of(a)));
    return applications;
  }

  private WebResponse form(int status, Frame frame, LicenseDraft draft, Map<String, String> errors,
      List<String> unknown, boolean pastExpiry) {
    Map<String, String> customers = new LinkedHashMap<>();
    api.get("customers").body().path("customers").forEach(c -> customers.put(c.path("id").asText(), c.path("name").asText()));
    Map<String, Object> params = new HashMap<>();
    params.put("frame", frame);
    params.put("customers", customers);
    params.put("applications", applications());
    params.put("draft", draft);
    params.put("errors", errors);
    params.put("unknown", unknown);
    params.put("pastExpiry", pastExpiry);
    return WebResponse.html(status, pages.render("console/license-new.jte", params));
  }

  /** The form field an API error's {@code field} belongs to. */
  static String field(String apiField) {
    if (apiField == null) {
      return "form";
    }
    if (apiField.startsWith("versions")) {
      return "moreVersions";
    }
    if (apiField.startsWith("ranges")) {
      return "ranges";
    }
    if (apiField.startsWith("upstreamCredentials")) {
      return "upstream";
    }
    if (apiField.startsWith("entitlements")) {
      return "entitlements";
    }
    return switch (apiField) {
      case "name", "expiresAt", "application", "customerId" -> apiField;
      default -> "form";
    };
  }

  /** The label a form field goes by, as its messages name it. */
  static String label(String field) {
    return switch (field) {
      case "name" -> "License name";
      case "expiresAt" -> "Expires on";
      case "application" -> "Application";
      case "moreVersions" -> "Other versions";
      case "ranges" -> "Ranges";
      case "customerId" -> "Customer";
      case "upstream" -> "Upstream credentials";
      case "entitlements" -> "Entitlements";
      default -> "The license was not created";
    };
  }

  /** The API's message without its field's name, and no longer than a message should be. */
  static String problem(String apiField, String message) {
    String m = message;
    if (apiField != null && m.startsWith(apiField + ": ")) {
      m = m.substring(apiField.length() + 2);
    }
    int max = 4 * InvalidInputException.MAX_QUOTED;
    return m.length() <= max ? m : m.substring(0, max) + "…";
  }
}
