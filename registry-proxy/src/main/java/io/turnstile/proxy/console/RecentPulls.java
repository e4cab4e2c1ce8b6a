package io.turnstile.proxy.console;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The recent pulls of a license, from the pull audit log's admin route ({@code GET
 * /admin/v1/pulls?licenseId=...&limit=N}) when this Turnstile has one. Without the route (404) or
 * on any failure the license page leaves its "Recent pulls" section out. Of each record the page
 * shows {@link #COLUMNS} under readable headings (the license and customer are the page's own); a
 * field the API does not answer is left out. A pull by tag shows its tag also when the client asked
 * by digest after resolving the tag, as docker does; a multi-arch pull is one row.
 *
 * <p>When the answer fails, the section is left out rather than the page: the pull audit log has
 * its own store and may be unavailable while licenses are not.
 */
final class RecentPulls {
  /** Most pulls shown. */
  static final int LIMIT = 20;

  /** The fields of a pull record the license page shows, in order, with their column headings. */
  static final Map<String, String> COLUMNS = columns(
      "at", "When (UTC)", "repository", "Repository", "tag", "Tag", "version", "Version", "credential", "Key", "tokenId", "Pull token",
      "clientAddress", "Client address", "userAgent", "Client", "count", "GETs", "blobBytes", "Layer bytes");

  private static Map<String, String> columns(String... pairs) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put(pairs[i], pairs[i + 1]);
    }
    return Collections.unmodifiableMap(m);
  }

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
    Set<String> columns = new LinkedHashSet<>(COLUMNS.keySet());
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
        String field = it.next();
        JsonNode v = row.path(field);
        values.add(v.isMissingNode() || v.isNull() ? "" : field.equals("at") ? at(v.asText())
            : v.isValueNode() ? v.asText() : v.toString());
      }
      rows.add(new Views.Pull(List.copyOf(values)));
    }
    return new Views.Pulls(columns.stream().map(COLUMNS::get).toList(), rows);
  }

  /** An ISO instant as "2026-12-06 23:05:09", to the second. */
  private static String at(String iso) {
    String t = iso.replace('T', ' ').replace("Z", "");
    int dot = t.indexOf('.');
    return dot > 0 ? t.substring(0, dot) : t;
  }
}
