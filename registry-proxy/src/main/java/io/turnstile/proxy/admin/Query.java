package io.turnstile.proxy.admin;

import java.util.List;
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
   * Whether CSV is asked for: {@code format=csv}, or {@code Accept: text/csv} without a
   * {@code format}; {@code format} other than json or csv is refused.
   */
  static boolean csv(Map<String, List<String>> query, String accept) {
    String format = one(query, "format");
    if (format != null && !format.equals("json") && !format.equals("csv")) {
      throw ApiError.badRequest("format", "must be json or csv");
    }
    return format != null ? format.equals("csv") : accept != null && accept.contains("text/csv");
  }
}
