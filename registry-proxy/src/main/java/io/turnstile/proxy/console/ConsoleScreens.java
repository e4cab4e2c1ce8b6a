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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The console's screens: licenses here, customers in {@link CustomerScreens} and the fleet in {@link
 * FleetScreens}, each read and changed through {@link AdminCalls}.
 * A change answers with a redirect to the page that shows its result (post, redirect, get), with a
 * one-time notice or the API's error message in the session.
 */
final class ConsoleScreens {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  /** How a license whose customer was deleted names it. */
  static final String DELETED_CUSTOMER = "(deleted customer)";

  private final AdminCalls api;
  private final Pages pages;
  private final String registryHost;
  private final Clock clock;
  private final RecentPulls pulls;
  private final List<String> applications;
  private final LicenseForm form;
  private final EntitlementScreens entitlements;
  private final FleetScreens fleet;
  private final CustomerScreens customers;

  ConsoleScreens(AdminCalls api, Pages pages, List<String> applications, String registryHost, Clock clock) {
    this.api = api;
    this.applications = List.copyOf(applications);
    this.pages = pages;
    this.registryHost = registryHost;
    this.clock = clock;
    this.pulls = new RecentPulls(api);
    this.form = new LicenseForm(api, pages, registryHost, clock);
    this.entitlements = new EntitlementScreens(api);
    this.fleet = new FleetScreens(api, pages, applications);
    this.customers = new CustomerScreens(api, pages, registryHost, clock);
  }

  /** The answer for {@code p} (the path's segments after {@code /console/}), or null for none. */
  WebResponse route(WebRequest r, List<String> p, Sessions.Session<?> s, Frame frame) {
    int n = p.size();
    switch (p.get(0)) {
      case "customers" -> {
        return customers.route(r, p, s, frame);
      }
      case "licenses" -> {
        if (n == 1) {
          return r.isPost() ? form.save(r, s, frame) : licenses(r, frame);
        }
        if (n == 2 && p.get(1).equals("new") && r.isGet()) {
          return form.empty(r, frame);
        }
        String id = p.get(1);
        String page = Console.PREFIX + "/licenses/" + AdminCalls.segment(id);
        String api = "licenses/" + AdminCalls.segment(id);
        if (n == 2 && r.isGet()) {
          return license(id, s, frame);
        }
        if (n == 3 && r.isGet() && p.get(2).equals("file")) {
          return entitlements.file(id);
        }
        if (!r.isPost()) {
          return null;
        }
        if (n == 3) {
          return switch (p.get(2)) {
            case "versions" -> grant(r, s, api, page, frame, license(id));
            case "ranges" -> grantRange(r, s, api, page);
            case "keep" -> {
              boolean keep = "true".equals(r.field("keep"));
              ObjectNode body = NODES.objectNode().put("keepReleasedBeforeExpiry", keep);
              yield change(s, this.api.patch(api, body), keep
                  ? "Once expired, the license keeps granting the versions released before its expiry."
                  : "Once expired, the license grants nothing.", page, page);
            }
            case "expiry" -> {
              ObjectNode body = NODES.objectNode();
              String day = blankToNull(r.field("expiresAt"));
              if (day != null && form.cutsOffAtOnce(day) && !"true".equals(r.field("confirmExpiry"))) {
                yield confirm(frame, "Cut the customer off now?", "Expiry " + day + " means 00:00 UTC of that day, which"
                    + " is already past: the customer's pulls stop at once.", page + "/expiry",
                    Map.of("expiresAt", List.of(day), "confirmExpiry", List.of("true")), "Set the expiry", page);
              }
              body.put("expiresAt", day);
              yield change(s, this.api.patch(api, body), day == null ? "The license no longer expires." : "Expiry set to " + day + ".",
                  page, page);
            }
            case "key" -> issued(s, this.api.post(api + "/key", null), page);
            case "name" -> {
              String name = blankToNull(r.field("name"));
              yield change(s, this.api.patch(api, NODES.objectNode().put("name", name)),
                  name == null ? "The license's name is cleared." : "Renamed to " + name + ".", page, page);
            }
            case "move" -> {
              String to = blankToNull(r.field("customerId"));
              Answer moved = this.api.post(api + "/move", NODES.objectNode().put("customerId", to));
              String name = moved.ok() ? this.api.get("customers/" + AdminCalls.segment(to)).body().path("name").asText(to) : to;
              yield change(s, moved, "Moved to " + name + ". Its key logs in as before; the previous customer's"
                  + " customer key no longer covers it.", page, page);
            }
            case "upstream" -> {
              ObjectNode body = NODES.objectNode();
              String user = blankToNull(r.field("upstreamUsername"));
              if ("true".equals(r.field("clear")) || user == null) {
                body.putNull("upstreamCredentials");
              } else {
                body.putObject("upstreamCredentials").put("username", user).put("password", r.field("upstreamPassword"));
              }
              yield change(s, this.api.patch(api, body), body.get("upstreamCredentials").isNull()
                  ? "The license pulls with the upstream's own credentials." : "Upstream credentials set for " + user + ".",
                  page, page);
            }
            case "revoke" -> change(s, this.api.delete(api), "License revoked.", page, page);
            case "entitlements" -> {
              String application = license(id);
              yield application == null ? WebResponse.text(404, "no such license")
                  : entitlements.save(r, s, api, page, application);
            }
            case "limits" -> {
              String limit = r.field("limit") == null ? "" : r.field("limit");
              String path = api + "/limits/" + AdminCalls.segment(limit);
              yield "true".equals(r.field("remove"))
                  ? change(s, this.api.delete(path), "The application's " + limit + " applies again.", page, page)
                  : change(s, this.api.put(path, LimitForm.body(r.field("amount"), r.field("mode"))),
                      limit + " of this license set.", page, page);
            }
            default -> null;
          };
        }
        if (n == 4 && p.get(2).equals("ranges") && p.get(3).equals("revoke")) {
          String range = r.field("range") == null ? "" : r.field("range");
          return change(s, this.api.delete(api + "/ranges/" + AdminCalls.segment(range)),
              "Range " + range + " revoked.", page, page);
        }
        if (n == 5 && p.get(2).equals("pull-tokens") && p.get(4).equals("revoke")) {
          return change(s, this.api.delete(api + "/pull-tokens/" + AdminCalls.segment(p.get(3))),
              "Pull token revoked: it no longer works.", page, page);
        }
        if (n == 5 && p.get(2).equals("versions") && p.get(4).equals("revoke")) {
          return change(s, this.api.delete(api + "/versions/" + AdminCalls.segment(p.get(3))),
              "Version " + p.get(3) + " revoked.", page, page);
        }
      }
      case "fleet" -> {
        return fleet.route(r, p, frame);
      }
      default -> { }
    }
    return null;
  }

  // ---- licenses ----

  private WebResponse licenses(WebRequest r, Frame frame) {
    Map<String, String> names = customers.names();
    String customer = blankToNull(r.param("customer"));
    String application = blankToNull(r.param("application"));
    String state = blankToNull(r.param("state"));
    String q = r.param("q") == null ? "" : r.param("q").strip();
    Answer a = customer == null ? api.get("licenses") : api.get("licenses", Map.of("customerId", List.of(customer)));
    List<Views.License> list = new ArrayList<>();
    Instant now = clock.instant();
    if (a.ok()) {
      a.body().path("licenses").forEach(l -> {
        Views.License v = Views.License.of(l, names.getOrDefault(l.path("customerId").asText(), DELETED_CUSTOMER), now);
        if ((application == null || v.application().equals(application)) && (state == null || v.state().equals(state))
            && (q.isEmpty() || contains(v.name(), q) || contains(v.id(), q) || contains(v.customerName(), q))) {
          list.add(v);
        }
      });
    }
    Map<String, Object> params = new HashMap<>();
    params.put("licenses", list);
    params.put("customers", names);
    params.put("applications", applications);
    params.put("filter", new Views.LicenseFilter(customer == null ? "" : customer, application == null ? "" : application,
        state == null ? "" : state, q));
    return page("console/licenses.jte", frame, params);
  }

  private WebResponse license(String id, Sessions.Session<?> s, Frame frame) {
    Answer a = api.get("licenses/" + AdminCalls.segment(id));
    if (!a.ok()) {
      return WebResponse.text(a.status(), a.error());
    }
    String customerId = a.body().path("customerId").asText();
    Answer c = api.get("customers/" + AdminCalls.segment(customerId));
    Views.License license = Views.License.of(a.body(), c.ok() ? c.body().path("name").asText() : DELETED_CUSTOMER, clock.instant());
    Map<String, Object> params = new HashMap<>();
    params.put("license", license);
    params.put("issued", s.take("issued", Views.IssuedKey.class));
    params.put("available", availableVersions(license));
    params.put("pulls", pulls.of(id));
    params.put("tokens", pullTokens(id));
    List<Views.Customer> others = new ArrayList<>();
    if (frame.mayEdit()) {
      api.get("customers").body().path("customers").forEach(o -> {
        if (!o.path("id").asText().equals(customerId)) {
          others.add(Views.Customer.of(o));
        }
      });
    }
    params.put("customers", others);
    params.put("entitlements", entitlements.of(license.application(), a.body().path("entitlements")));
    Answer u = api.get("licenses/" + AdminCalls.segment(id) + "/usage");
    params.put("usage", u.ok() ? Views.Use.of(u.body()) : List.of());
    return page("console/license.jte", frame, params);
  }

  /** The license's pull tokens that are not revoked; empty when they cannot be read. */
  private List<Views.PullToken> pullTokens(String id) {
    Answer a = api.get("licenses/" + AdminCalls.segment(id) + "/pull-tokens");
    List<Views.PullToken> out = new ArrayList<>();
    if (a.ok()) {
      a.body().path("pullTokens").forEach(t -> out.add(new Views.PullToken(t.path("id").asText(), t.path("name").asText(),
          t.path("createdAt").asText(), t.path("expiresAt").isNull() ? "with the license" : t.path("expiresAt").asText(),
          t.path("lastUsedAt").isNull() ? "never" : t.path("lastUsedAt").asText())));
    }
    return out;
  }

  private List<String> availableVersions(Views.License license) {
    List<String> out = new ArrayList<>();
    api.get("applications").body().path("applications").forEach(app -> {
      if (app.path("name").asText().equals(license.application())) {
        app.path("versions").forEach(v -> {
          if (!license.versions().contains(v.asText())) {
            out.add(v.asText());
          }
        });
      }
    });
    return out;
  }

  private WebResponse grant(WebRequest r, Sessions.Session<?> s, String apiPath, String page, Frame frame,
      String application) {
    Set<String> versions = new LinkedHashSet<>(r.fields("version"));
    List<String> typed = LicenseDraft.words(r.field("moreVersions"));
    versions.addAll(typed);
    if (versions.isEmpty()) {
      s.flash("error", "Pick or type at least one version to grant.");
      return WebResponse.redirect(page);
    }
    List<String> unknown = application == null ? List.of()
        : LicenseForm.unknownAtTheUpstream(form.applications(), application, typed);
    if (!unknown.isEmpty() && !"true".equals(r.field("confirmUnknown"))) {
      return confirm(frame, "Grant a version the upstream does not have?", "Not found at the upstream: "
          + String.join(", ", unknown) + ". Grant " + (unknown.size() == 1 ? "it" : "them")
          + " anyway, for a release still to come? Go back to mend a typo.", page + "/versions",
          Map.of("version", List.copyOf(versions), "confirmUnknown", List.of("true")), "Grant anyway", page);
    }
    ObjectNode body = NODES.objectNode();
    versions.forEach(body.putArray("versions")::add);
    return change(s, api.post(apiPath + "/versions", body), "Granted " + String.join(", ", versions) + ".", page, page);
  }

  /** The application of license {@code id}, or null when it cannot be read. */
  private String license(String id) {
    Answer a = api.get("licenses/" + AdminCalls.segment(id));
    return a.ok() ? a.body().path("application").asText(null) : null;
  }

  /** A page that asks before a change: {@code fields} posted again to {@code action} with the answer. */
  private WebResponse confirm(Frame frame, String title, String message, String action, Map<String, List<String>> fields,
      String button, String back) {
    Map<String, Object> params = new HashMap<>();
    params.put("confirm", new Views.Confirm(title, message, action, fields, button, back));
    WebResponse page = page("console/confirm.jte", frame, params);
    return page;
  }

  private WebResponse grantRange(WebRequest r, Sessions.Session<?> s, String apiPath, String page) {
    String range = blankToNull(r.field("range"));
    if (range == null) {
      s.flash("error", "Type a range to grant, e.g. 2.x, ~2.4.0, >=2.0.0 <3.0.0 or * for every version.");
      return WebResponse.redirect(page);
    }
    boolean prerelease = "true".equals(r.field("includePrerelease"));
    ObjectNode body = NODES.objectNode();
    body.putArray("ranges").addObject().put("range", range).put("includePrerelease", prerelease);
    return change(s, api.post(apiPath + "/ranges", body),
        "Granted " + (range.equals("*") ? "every version" : "range " + range) + (prerelease ? ", pre-releases included." : "."),
        page, page);
  }

  // ---- plumbing ----

  /** A change's answer: a redirect to {@code onSuccess} with {@code notice}, or to {@code onFailure} with the API's error. */
  static WebResponse change(Sessions.Session<?> s, Answer a, String notice, String onSuccess, String onFailure) {
    if (a.ok()) {
      s.flash("notice", notice);
      return WebResponse.redirect(onSuccess);
    }
    s.flash("error", a.error());
    return WebResponse.redirect(onFailure);
  }

  private WebResponse issued(Sessions.Session<?> s, Answer a, String page) {
    return issued(s, a, page, registryHost);
  }

  /** A key issued: shown once on {@code page}, which the answer redirects to; or the API's error. */
  static WebResponse issued(Sessions.Session<?> s, Answer a, String page, String registryHost) {
    if (!a.ok()) {
      s.flash("error", a.error());
      return WebResponse.redirect(page);
    }
    s.flash("issued", new Views.IssuedKey(a.body().path("username").asText(), a.body().path("key").asText(), registryHost));
    s.flash("notice", "New key issued. Copy it now: it is shown only once.");
    return WebResponse.redirect(page);
  }

  private WebResponse page(String template, Frame frame, Map<String, Object> params) {
    return page(pages, template, frame, params);
  }

  /** {@code template} rendered with {@code params} and the page's frame. */
  static WebResponse page(Pages pages, String template, Frame frame, Map<String, Object> params) {
    Map<String, Object> all = new HashMap<>(params);
    all.put("frame", frame);
    return WebResponse.html(200, pages.render(template, all));
  }

  static boolean contains(String haystack, String needle) {
    return haystack != null && haystack.toLowerCase(Locale.ROOT).contains(needle.toLowerCase(Locale.ROOT));
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }
}
