package io.turnstile.proxy.console;

import com.fasterxml.jackson.databind.JsonNode;
import io.turnstile.store.VersionOrder;
import io.turnstile.proxy.console.AdminCalls.Answer;
import io.turnstile.proxy.web.Frame;
import io.turnstile.proxy.web.Pages;
import io.turnstile.proxy.web.WebRequest;
import io.turnstile.proxy.web.WebResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The console's fleet page ({@code /console/fleet}): versions in use, adoption over time with a
 * chart, and the licenses that need attention, each read from the admin API's {@code /fleet}
 * routes, each with its numbers as a table on the page and as a CSV download
 * ({@code /console/fleet/versions.csv}, {@code adoption.csv}, {@code attention.csv}).
 */
final class FleetScreens {
  private static final List<String> EXPORTS = List.of("versions", "adoption", "attention");

  private final AdminCalls api;
  private final Pages pages;
  private final List<String> applications;

  FleetScreens(AdminCalls api, Pages pages, List<String> applications) {
    this.api = api;
    this.pages = pages;
    this.applications = List.copyOf(applications);
  }

  /** The answer for {@code p} (segments after {@code /console/}, the first "fleet"), or null for none. */
  WebResponse route(WebRequest r, List<String> p, Frame frame) {
    if (!r.isGet()) {
      return null;
    }
    String application = r.param("application") == null || r.param("application").isBlank() ? null
        : r.param("application").strip();
    Map<String, List<String>> query = application == null ? Map.of() : Map.of("application", List.of(application));
    if (p.size() == 1) {
      return page(query, application, frame);
    }
    if (p.size() == 2 && p.get(1).endsWith(".csv") && EXPORTS.contains(p.get(1).replace(".csv", ""))) {
      String name = p.get(1).replace(".csv", "");
      byte[] csv = api.csv("fleet/" + name, query);
      if (csv == null) {
        Answer a = api.get("fleet/" + name, query);
        return WebResponse.text(a.status(), a.error());
      }
      return WebResponse.bytes(200, "text/csv; charset=utf-8", csv)
          .header("Content-Disposition", "attachment; filename=\"fleet-" + name + ".csv\"");
    }
    return null;
  }

  private WebResponse page(Map<String, List<String>> query, String application, Frame frame) {
    Answer versions = api.get("fleet/versions", query);
    if (!versions.ok()) {
      return WebResponse.text(versions.status(), versions.error());
    }
    Answer adoption = api.get("fleet/adoption", query);
    Answer attention = api.get("fleet/attention", query);
    Map<String, Object> params = new HashMap<>();
    params.put("frame", frame);
    params.put("filter", new Fleet.Filter(application == null ? "" : application, applications));
    params.put("matrix", matrix(versions.body()));
    params.put("adoption", adoption.ok() ? adoption(adoption.body(), application == null) : null);
    params.put("attention", attention.ok() ? attention(attention.body()) : List.of());
    params.put("query", application == null ? "" : "?application=" + AdminCalls.segment(application));
    return WebResponse.html(200, pages.render("console/fleet.jte", params));
  }

  private static Fleet.Matrix matrix(JsonNode body) {
    List<Fleet.MatrixRow> rows = new ArrayList<>();
    TreeMap<String, Boolean> versions = new TreeMap<>(VersionOrder.ASCENDING);
    for (JsonNode l : body.path("licenses")) {
      Map<String, String> cells = new HashMap<>();
      for (JsonNode v : l.path("pulled")) {
        cells.put(v.path("version").asText(),
            Fleet.MatrixRow.cellText(minutes(v.path("lastPulledAt").asText()), v.path("clientAddresses").asLong()));
        versions.put(v.path("version").asText(), v.path("endOfLife").asBoolean());
      }
      rows.add(new Fleet.MatrixRow(l.path("customerId").asText(), text(l, "customerName"),
          l.path("licenseId").asText(), text(l, "licenseName"), l.path("application").asText(),
          l.path("version").asText(), cells));
    }
    rows.sort((a, b) -> a.customerName().equalsIgnoreCase(b.customerName())
        ? a.licenseName().compareTo(b.licenseName()) : a.customerName().compareToIgnoreCase(b.customerName()));
    return new Fleet.Matrix(List.copyOf(versions.keySet()), List.copyOf(versions.values()), rows,
        body.path("truncated").asBoolean());
  }

  private static Fleet.Adoption adoption(JsonNode body, boolean everyApplication) {
    List<String> series = new ArrayList<>();
    List<JsonNode> counts = new ArrayList<>();
    for (JsonNode s : body.path("series")) {
      String version = s.path("version").asText();
      series.add(everyApplication ? s.path("application").asText() + " " + version : version);
      counts.add(s.path("licenses"));
    }
    List<Fleet.Day> days = new ArrayList<>();
    JsonNode dayList = body.path("days");
    for (int i = 0; i < dayList.size(); i++) {
      List<Long> n = new ArrayList<>(counts.size());
      for (JsonNode c : counts) {
        n.add(c.path(i).asLong());
      }
      days.add(new Fleet.Day(dayList.get(i).asText(), n));
    }
    return new Fleet.Adoption(series, days, body.path("truncated").asBoolean());
  }

  private static List<Fleet.Attention> attention(JsonNode body) {
    List<Fleet.Attention> out = new ArrayList<>();
    for (JsonNode a : body.path("licenses")) {
      out.add(new Fleet.Attention(a.path("reason").asText(), a.path("customerId").asText(), text(a, "customerName"),
          a.path("licenseId").asText(), text(a, "licenseName"), a.path("application").asText(), text(a, "version"),
          a.path("at").isNull() ? "" : minutes(a.path("at").asText())));
    }
    return out;
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.path(field);
    return v.isMissingNode() || v.isNull() ? "" : v.asText();
  }

  /** An ISO instant as "2026-12-06 23:05", to the minute. */
  private static String minutes(String iso) {
    String t = iso.replace('T', ' ');
    return t.length() >= 16 ? t.substring(0, 16) : t;
  }
}
