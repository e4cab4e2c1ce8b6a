package io.turnstile.proxy.admin;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The query parameters the read-only admin routes share. */
final class Query {
  private Query() {}

  /** The one value of {@code name}; null when absent or empty; refused when given twice. */
  static String one(Map<String, List<String>> query, String name) {
    List<String> values = query.get(name);
    if (values == null || values.isEmpty()) {
      return null;
    }
    if (values.size() > 1) {
      throw ApiError.badRequest(name, "give it once");
    }
    String v = values.get(0);
    return v.isEmpty() ? null : v;
  }

  /**
   * Whether CSV is asked for: {@code format=csv}, or without a {@code format} an {@code Accept}
   * that prefers {@code text/csv} (see {@link #prefersCsv}); {@code format} other than json or csv
   * is refused.
   */
  static boolean csv(Map<String, List<String>> query, String accept) {
    String format = one(query, "format");
    if (format != null && !format.equals("json") && !format.equals("csv")) {
      throw ApiError.badRequest("format", "must be json or csv");
    }
    return format != null ? format.equals("csv") : prefersCsv(accept);
  }

  /**
   * Whether {@code accept} (an Accept header, or null) ranks {@code text/csv} above {@code
   * application/json}. A client that takes either, as a client generated from the OpenAPI document
   * does ({@code Accept: application/json, text/csv}), gets JSON, the default.
   */
  static boolean prefersCsv(String accept) {
    if (accept == null) {
      return false;
    }
    double csv = 0;
    double json = 0;
    for (String range : accept.split(",")) {
      String[] parts = range.split(";");
      String type = parts[0].trim().toLowerCase(Locale.ROOT);
      double q = 1;
      for (int i = 1; i < parts.length; i++) {
        String p = parts[i].trim();
        if (p.startsWith("q=")) {
          try {
            q = Double.parseDouble(p.substring(2));
          } catch (NumberFormatException e) {
            q = 0;
          }
        }
      }
      if (type.equals("text/csv")) {
        csv = Math.max(csv, q);
      } else if (type.equals("application/json")) {
        json = Math.max(json, q);
      }
    }
    return csv > 0 && csv > json;
  }
}
