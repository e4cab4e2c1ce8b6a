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
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The console's team screens: the operator's personal API tokens (made, shown once, revoked) and
 * the activity log with its filters, each read and changed through {@link AdminCalls}, so the
 * admin API decides who may see and do what.
 */
final class TeamScreens {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  /** Rows of the activity page. */
  static final int ACTIVITY_PAGE = 50;
  /** The expiry a new token's form suggests. */
  static final Duration SUGGESTED_LIFETIME = Duration.ofDays(90);
  private static final List<String> ROLES = List.of("viewer", "editor", "admin");

  private final AdminCalls api;
  private final Pages pages;
  private final Clock clock;

  TeamScreens(AdminCalls api, Pages pages, Clock clock) {
    this.api = api;
    this.pages = pages;
    this.clock = clock;
  }

  /** Whether {@code p} (the path's segments after {@code /console/}) is one of these screens. */
  static boolean owns(List<String> p) {
    return p.get(0).equals("api-tokens") || p.get(0).equals("activity");
  }

  /** The answer for {@code p}, or null for none. */
  WebResponse route(WebRequest r, List<String> p, Sessions.Session<?> s, Frame frame) {
    int n = p.size();
    if (p.get(0).equals("activity")) {
      return n == 1 && r.isGet() ? activity(r, frame) : null;
    }
    if (n == 1) {
      return r.isPost() ? createToken(r, s) : tokens(s, frame);
    }
    if (n == 3 && r.isPost() && p.get(2).equals("revoke")) {
      Answer a = api.delete("api-tokens/" + AdminCalls.segment(p.get(1)));
      if (a.ok()) {
        s.flash("notice", "Token " + a.body().path("name").asText() + " revoked: it is refused from now on.");
      } else {
        s.flash("error", a.error());
      }
      return WebResponse.redirect(Console.PREFIX + "/api-tokens");
    }
    return null;
  }

  private WebResponse tokens(Sessions.Session<?> s, Frame frame) {
    List<TeamViews.ApiToken> list = new ArrayList<>();
    Answer a = api.get("api-tokens");
    if (a.ok()) {
      a.body().path("tokens").forEach(t -> list.add(TeamViews.ApiToken.of(t)));
    }
    String own = api.actor().role().label();
    Map<String, Object> params = new HashMap<>();
    params.put("tokens", list);
    params.put("roles", ROLES.subList(0, ROLES.indexOf(own) + 1));
    params.put("suggestedExpiry", clock.instant().plus(SUGGESTED_LIFETIME).atZone(ZoneOffset.UTC).toLocalDate().toString());
    params.put("issued", s.take("issuedToken", TeamViews.IssuedToken.class));
    return page("console/api-tokens.jte", frame, params);
  }

  private WebResponse createToken(WebRequest r, Sessions.Session<?> s) {
    ObjectNode body = NODES.objectNode().put("name", r.field("name") == null ? "" : r.field("name").strip())
        .put("role", r.field("role")).put("expiresAt", blankToNull(r.field("expiresAt")));
    Answer a = api.post("api-tokens", body);
    if (!a.ok()) {
      s.flash("error", a.error());
    } else {
      s.flash("issuedToken", new TeamViews.IssuedToken(a.body().path("name").asText(), a.body().path("token").asText()));
      s.flash("notice", "Token created. Copy it now: it is shown only once.");
    }
    return WebResponse.redirect(Console.PREFIX + "/api-tokens");
  }

  private WebResponse activity(WebRequest r, Frame frame) {
    TeamViews.ActivityFilter filter = new TeamViews.ActivityFilter(param(r, "actor"), param(r, "customerId"),
        param(r, "licenseId"), param(r, "since"), param(r, "until"));
    Map<String, List<String>> query = new LinkedHashMap<>();
    put(query, "actor", filter.actor());
    put(query, "customerId", filter.customerId());
    put(query, "licenseId", filter.licenseId());
    put(query, "since", filter.since());
    put(query, "until", filter.until());
    put(query, "cursor", param(r, "cursor"));
    put(query, "limit", Integer.toString(ACTIVITY_PAGE));
    Answer a = api.get("activity", query);
    List<TeamViews.Activity> rows = new ArrayList<>();
    String next = null;
    String error = null;
    if (a.ok()) {
      a.body().path("activity").forEach(e -> rows.add(TeamViews.Activity.of(e)));
      next = a.body().path("next").isTextual() ? a.body().path("next").asText() : null;
    } else {
      error = a.error();
    }
    Map<String, Object> params = new HashMap<>();
    params.put("rows", rows);
    params.put("filter", filter);
    params.put("problem", error);
    params.put("older", next == null ? null : olderLink(query, next));
    return page("console/activity.jte", frame, params);
  }

  private static String olderLink(Map<String, List<String>> query, String next) {
    StringBuilder sb = new StringBuilder(Console.PREFIX + "/activity?");
    query.forEach((k, v) -> {
      if (!k.equals("cursor") && !k.equals("limit")) {
        sb.append(k).append('=').append(AdminCalls.segment(v.get(0))).append('&');
      }
    });
    return sb.append("cursor=").append(AdminCalls.segment(next)).toString();
  }

  private static void put(Map<String, List<String>> query, String name, String value) {
    if (value != null && !value.isEmpty()) {
      query.put(name, List.of(value));
    }
  }

  private static String param(WebRequest r, String name) {
    String v = r.param(name);
    return v == null ? "" : v.strip();
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }

  private WebResponse page(String template, Frame frame, Map<String, Object> params) {
    Map<String, Object> all = new HashMap<>(params);
    all.put("frame", frame);
    return WebResponse.html(200, pages.render(template, all));
  }
}
