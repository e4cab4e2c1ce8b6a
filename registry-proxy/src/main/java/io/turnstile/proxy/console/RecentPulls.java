package io.turnstile.proxy.console;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The recent pulls of a license, from the pull audit log's admin route ({@code GET
 * /admin/v1/pulls?licenseId=...&limit=N}) when this Turnstile has one. Without the route (404) or
 * on any failure the license page leaves its "Recent pulls" section out. Of each record the page
 * shows {@link #COLUMNS} (the license and customer are the page's own); a field the API does not
 * answer is left out.
 *
 * <p>When the answer fails, the section is left out rather than the page: the pull audit log has
 * its own store and may be unavailable while licenses are not.
 */
final class RecentPulls {
  /** Most pulls shown. */
  static final int LIMIT = 20;

  /** The fields of a pull record the license page shows, in order. */
  static final List<String> COLUMNS =
      List.of("at", "repository", "tag", "version", "credential", "clientAddress", "userAgent", "count");

  private final AdminCalls api;

  RecentPulls(AdminCalls api) {
    this.api = api;
  }

  /** The license's recent pulls, or null when no pull audit log is available. */
  Views.Pulls of(String licenseId) {
    AdminCalls.Answer a = api.get("pulls", Map.of("licenseId", List.of(licenseId), "limit", List.of(String.valueOf(LIMIT))));
    if (!a.ok() || a.body() == null || !a.body().path("pulls").isArray()) {
      return null;
    }
    Set<String> present = new LinkedHashSet<>();
    for (JsonNode row : a.body().path("pulls")) {
      row.fieldNames().forEachRemaining(present::add);
    }
    Set<String> columns = new LinkedHashSet<>(COLUMNS);
    if (!present.isEmpty()) {
      columns.retainAll(present);
    }
    List<Views.Pull> rows = new ArrayList<>();
    for (JsonNode row : a.body().path("pulls")) {
      if (rows.size() == LIMIT) {
        break;
      }
      List<String> values = new ArrayList<>();
      for (Iterator<String> it = columns.iterator(); it.hasNext(); ) {
        JsonNode v = row.path(it.next());
        values.add(v.isMissingNode() || v.isNull() ? "" : v.isValueNode() ? v.asText() : v.toString());
      }
      rows.add(new Views.Pull(List.copyOf(values)));
    }
    return new Views.Pulls(List.copyOf(columns), rows);
  }
}
