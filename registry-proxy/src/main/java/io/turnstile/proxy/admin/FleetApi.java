package io.turnstile.proxy.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.turnstile.config.ApplicationConfig;
import io.turnstile.store.Customer;
import io.turnstile.store.License;
import io.turnstile.store.LicenseId;
import io.turnstile.store.LicenseState;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.PullStats;
import io.turnstile.store.PullStats.DailyAdoption;
import io.turnstile.store.PullStats.VersionPulls;
import io.turnstile.store.VersionOrder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code GET /admin/v1/fleet/...}: the fleet at a glance, from the pull audit log. Read-only; each
 * answers JSON, or CSV with {@code Accept: text/csv} or {@code ?format=csv}.
 *
 * <ul>
 *   <li>{@code versions}: per license, the version it pulled last within {@code days} (default 90),
 *       when, and from how many distinct client addresses; in JSON also every version it pulled then
 *       ({@code pulled});
 *   <li>{@code adoption}: distinct licenses pulling each version per UTC day, the last {@code days};
 *   <li>{@code attention}: licenses expiring within 30 days, active licenses older than 90 days with
 *       no pull for 90 days, and licenses that pulled an end-of-life version within 30 days.
 * </ul>
 *
 * Every list is bounded by {@link PullStats#MAX_ROWS}; {@code "truncated": true} says when a bound
 * cut it.
 */
final class FleetApi {
  static final int DEFAULT_DAYS = 90;
  static final int MAX_DAYS = 366;
  static final Duration EXPIRING = Duration.ofDays(30);
  static final Duration IDLE = Duration.ofDays(90);
  /** How recent a pull of an end-of-life version must be to need attention. */
  static final Duration STILL_PULLING = Duration.ofDays(30);
  private static final Set<String> PARAMETERS = Set.of("application", "days", "format");
  private static final Set<String> ROUTES = Set.of("versions", "adoption", "attention");

  private final LicenseStore store;
  private final PullStats stats;
  private final EndOfLife endOfLife;
  private final Set<String> applications;
  private final ObjectMapper json;
  private final Clock clock;

  FleetApi(LicenseStore store, List<ApplicationConfig> applications, ObjectMapper json, Clock clock) {
    this.store = store;
    this.stats = store.pullStats();
    this.endOfLife = new EndOfLife(applications);
    this.applications = Set.copyOf(applications.stream().map(ApplicationConfig::name).toList());
    this.json = json;
    this.clock = clock;
  }

  AdminResponse route(String method, List<String> p, Map<String, List<String>> query, String accept) {
    if (p.size() != 2 || !ROUTES.contains(p.get(1))) {
      throw new ApiError(404, "no such admin resource");
    }
    if (!method.equals("GET")) {
      throw ApiError.notAllowed("GET");
    }
    Ask ask = new Ask(query, accept);
    return switch (p.get(1)) {
      case "versions" -> versions(ask);
      case "adoption" -> adoption(ask);
      default -> attention(ask);
    };
  }

  /** The parameters every fleet route takes, checked. */
  private final class Ask {
    final String application;
    final int days;
    final boolean csv;

    Ask(Map<String, List<String>> query, String accept) {
      for (String name : query.keySet()) {
        if (!PARAMETERS.contains(name)) {
          throw ApiError.badRequest(name, "unknown parameter (expected one of " + PARAMETERS + ")");
        }
      }
      application = Query.one(query, "application");
      if (application != null && !applications.contains(application)) {
        throw ApiError.badRequest("application", "no application named '" + application + "'");
      }
      String d = Query.one(query, "days");
      try {
        days = d == null ? DEFAULT_DAYS : Integer.parseInt(d);
      } catch (NumberFormatException e) {
        throw ApiError.badRequest("days", "must be a whole number");
      }
      if (days < 1 || days > MAX_DAYS) {
        throw ApiError.badRequest("days", "must be between 1 and " + MAX_DAYS);
      }
      csv = Query.csv(query, accept);
    }
  }

  // ---- versions in use ----

  private AdminResponse versions(Ask ask) {
    Instant now = clock.instant();
    Instant since = now.minus(Duration.ofDays(ask.days));
    List<VersionPulls> rows = stats.versionsPulled(ask.application, since, PullStats.MAX_ROWS);
    // Newest first: the first row of a license is the version it pulled last.
    Map<LicenseId, List<VersionPulls>> byLicense = new LinkedHashMap<>();
    rows.forEach(r -> byLicense.computeIfAbsent(r.licenseId(), k -> new ArrayList<>()).add(r));
    Names names = new Names();
    List<Object[]> table = new ArrayList<>();
    for (List<VersionPulls> pulled : byLicense.values()) {
      VersionPulls r = pulled.get(0);
      table.add(new Object[] {r.customerId().value(), names.customer(r.customerId().value()), r.licenseId().value(),
          names.license(r.licenseId()), r.application(), r.version(), r.last(), (long) r.clientAddresses(),
          endOfLife.covers(r.application(), r.version())});
    }
    String[] columns = {"customerId", "customerName", "licenseId", "licenseName", "application", "version",
        "lastPulledAt", "clientAddresses", "endOfLife"};
    AdminResponse answer = answer(ask, "licenses", columns, table, since, rows.size() == PullStats.MAX_ROWS);
    if (!ask.csv) {
      // In JSON, each license also lists every version it pulled in the period: the matrix's other cells.
      JsonNode licenses = answer.body().get("licenses");
      int i = 0;
      for (List<VersionPulls> pulled : byLicense.values()) {
        ArrayNode list = ((ObjectNode) licenses.get(i++)).putArray("pulled");
        for (VersionPulls r : pulled) {
          list.addObject().put("version", r.version()).put("lastPulledAt", r.last().toString())
              .put("clientAddresses", r.clientAddresses()).put("endOfLife", endOfLife.covers(r.application(), r.version()));
        }
      }
    }
    return answer;
  }

  // ---- adoption ----

  private AdminResponse adoption(Ask ask) {
    LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
    LocalDate first = today.minusDays(ask.days - 1L);
    Instant since = first.atStartOfDay(ZoneOffset.UTC).toInstant();
    List<DailyAdoption> rows = stats.adoption(ask.application, since, PullStats.MAX_ROWS);
    boolean truncated = rows.size() == PullStats.MAX_ROWS;
    if (ask.csv) {
      List<Object[]> table = new ArrayList<>();
      rows.forEach(r -> table.add(new Object[] {r.day(), r.application(), r.version(), (long) r.licenses()}));
      return csv(new String[] {"day", "application", "version", "licenses"}, table);
    }
    // Dense series, one count per day oldest first, ready for a chart.
    Map<List<String>, long[]> series = new TreeMap<>(
        (a, b) -> a.get(0).equals(b.get(0)) ? VersionOrder.ASCENDING.compare(a.get(1), b.get(1)) : a.get(0).compareTo(b.get(0)));
    for (DailyAdoption r : rows) {
      long[] counts = series.computeIfAbsent(List.of(r.application(), r.version()), k -> new long[ask.days]);
      counts[(int) (r.day().toEpochDay() - first.toEpochDay())] = r.licenses();
    }
    ObjectNode out = json.createObjectNode().put("since", since.toString()).put("application", ask.application);
    ArrayNode days = out.putArray("days");
    for (int i = 0; i < ask.days; i++) {
      days.add(first.plusDays(i).toString());
    }
    ArrayNode list = out.putArray("series");
    series.forEach((key, counts) -> {
      ObjectNode s = list.addObject().put("application", key.get(0)).put("version", key.get(1))
          .put("endOfLife", endOfLife.covers(key.get(0), key.get(1)));
      ArrayNode c = s.putArray("licenses");
      for (long n : counts) {
        c.add(n);
      }
    });
    out.put("truncated", truncated);
    return AdminResponse.ok(out);
  }

  // ---- needs attention ----

  private AdminResponse attention(Ask ask) {
    Instant now = clock.instant();
    Names names = new Names();
    List<Object[]> table = new ArrayList<>();
    List<License> licenses = store.licenses(null).stream()
        .filter(l -> ask.application == null || l.application().equals(ask.application)).toList();
    for (License l : licenses) {
      if (l.state(now) == LicenseState.ACTIVE && l.expiresAt() != null && l.expiresAt().isBefore(now.plus(EXPIRING))) {
        table.add(row("expiring", l.customerId().value(), names, l.id(), l.application(), null, l.expiresAt()));
      }
    }
    Map<LicenseId, Instant> lastPulls = stats.lastPulls(PullStats.MAX_ROWS);
    boolean truncated = lastPulls.size() == PullStats.MAX_ROWS;
    Instant idleSince = now.minus(IDLE);
    for (License l : licenses) {
      Instant last = lastPulls.get(l.id());
      if (l.state(now) == LicenseState.ACTIVE && l.createdAt().isBefore(idleSince)
          && (last == null || last.isBefore(idleSince))) {
        table.add(row("idle", l.customerId().value(), names, l.id(), l.application(), null, last));
      }
    }
    List<VersionPulls> recent = stats.versionsPulled(ask.application, now.minus(STILL_PULLING), PullStats.MAX_ROWS);
    truncated |= recent.size() == PullStats.MAX_ROWS;
    for (VersionPulls r : recent) {
      if (endOfLife.covers(r.application(), r.version())) {
        table.add(row("endOfLife", r.customerId().value(), names, r.licenseId(), r.application(), r.version(), r.last()));
      }
    }
    String[] columns = {"reason", "customerId", "customerName", "licenseId", "licenseName", "application", "version",
        "at"};
    return answer(ask, "licenses", columns, table, null, truncated);
  }

  private static Object[] row(String reason, String customer, Names names, LicenseId license, String application,
      String version, Instant at) {
    return new Object[] {reason, customer, names.customer(customer), license.value(), names.license(license),
        application, version, at};
  }

  // ---- plumbing ----

  /** Customer and license names, read once per answer. */
  private final class Names {
    private Map<String, String> customers;
    private Map<LicenseId, String> licenses;

    String customer(String id) {
      if (customers == null) {
        customers = new HashMap<>();
        for (Customer c : store.customers()) {
          customers.put(c.id().value(), c.name());
        }
      }
      return customers.get(id);
    }

    String license(LicenseId id) {
      if (licenses == null) {
        licenses = new HashMap<>();
        for (License l : store.licenses(null)) {
          licenses.put(l.id(), l.name());
        }
      }
      return licenses.get(id);
    }
  }

  private AdminResponse answer(Ask ask, String name, String[] columns, List<Object[]> table, Instant since,
      boolean truncated) {
    if (ask.csv) {
      return csv(columns, table);
    }
    ObjectNode out = json.createObjectNode();
    if (since != null) {
      out.put("since", since.toString());
    }
    out.put("application", ask.application);
    ArrayNode list = out.putArray(name);
    for (Object[] row : table) {
      ObjectNode o = list.addObject();
      for (int i = 0; i < columns.length; i++) {
        Object v = row[i];
        if (v instanceof Long n) {
          o.put(columns[i], n);
        } else if (v instanceof Boolean b) {
          o.put(columns[i], b);
        } else {
          o.put(columns[i], v == null ? null : v.toString());
        }
      }
    }
    out.put("truncated", truncated);
    return AdminResponse.ok(out);
  }

  /** The table as one CSV piece: every fleet answer is bounded, so it is built whole. */
  private static AdminResponse csv(String[] columns, List<Object[]> table) {
    StringBuilder sb = new StringBuilder();
    Csv.row(sb, (Object[]) columns);
    table.forEach(r -> Csv.row(sb, r));
    byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
    return AdminResponse.streamed(new StreamedBody() {
      @Override
      public String contentType() {
        return "text/csv; charset=utf-8";
      }

      @Override
      public void writeTo(Sink out) throws java.io.IOException {
        out.write(bytes);
      }
    });
  }
}
