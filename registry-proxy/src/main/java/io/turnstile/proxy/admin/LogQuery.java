package io.turnstile.proxy.admin;

import io.turnstile.store.Expiry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The query of a log read newest first in pages (the pull log, the activity log): its parameters
 * checked once, JSON or CSV chosen, and a CSV export streamed page by page.
 */
final class LogQuery {
  private final Map<String, List<String>> query;
  /** Whether the answer is CSV ({@code ?format=csv}, or an Accept that prefers text/csv). */
  final boolean csv;
  /** The {@code limit} given, or null. */
  final Integer limit;

  /** Checks that {@code query} holds only {@code known} parameters, each once, and a valid format and limit. */
  LogQuery(Map<String, List<String>> query, Set<String> known, String accept) {
    for (String name : query.keySet()) {
      if (!known.contains(name)) {
        throw ApiError.badRequest(name, "unknown parameter (expected one of " + known + ")");
      }
    }
    this.query = query;
    String format = text("format");
    if (format != null && !format.equals("json") && !format.equals("csv")) {
      throw ApiError.badRequest("format", "must be json or csv");
    }
    this.csv = format != null ? format.equals("csv") : Query.prefersCsv(accept);
    String limitText = text("limit");
    try {
      this.limit = limitText == null ? null : Integer.valueOf(limitText);
    } catch (NumberFormatException e) {
      throw ApiError.badRequest("limit", "must be a whole number");
    }
    if (csv && limit != null && limit < 1) {
      throw ApiError.badRequest("limit", "must be at least 1");
    }
  }

  /** The parameter {@code name}, or null when absent or empty; given twice is an error. */
  String text(String name) {
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

  /** The time parameter {@code name}: {@code YYYY-MM-DD} (UTC) or RFC 3339; null when absent. */
  Instant time(String name) {
    String v = text(name);
    return v == null ? null : Expiry.parse(name, v);
  }

  /**
   * Records per page read from the store: for CSV, pages as large as the store reads ({@code max});
   * for JSON, the limit given or {@code byDefault}.
   */
  int pageLimit(int max, int byDefault) {
    return csv ? Math.min(csvCap(), max) : limit == null ? byDefault : limit;
  }

  /** Most records a CSV export holds: the limit given, or all. */
  int csvCap() {
    return limit == null ? Integer.MAX_VALUE : limit;
  }

  /**
   * How one kind of page is read: its rows, its cursor, the page after a cursor, a row's fields.
   */
  record Pages<P, R>(Function<P, List<R>> rows, Function<P, String> next, Function<String, P> after,
      Function<R, Object[]> values) {}

  /**
   * A CSV export of at most {@code cap} rows, starting with {@code first} (read by the caller, so
   * that a bad cursor or an unreachable store is still a JSON error with its status; later failures
   * can only cut the stream).
   */
  static <P, R> StreamedBody csv(String[] columns, P first, int cap, Pages<P, R> pages) {
    return new StreamedBody() {
      @Override
      public String contentType() {
        return "text/csv; charset=utf-8";
      }

      @Override
      public void writeTo(Sink out) throws IOException {
        StringBuilder sb = new StringBuilder();
        Csv.row(sb, (Object[]) columns);
        P page = first;
        int left = cap;
        while (true) {
          for (R r : pages.rows().apply(page)) {
            if (left-- <= 0) {
              break;
            }
            Csv.row(sb, pages.values().apply(r));
          }
          out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
          sb.setLength(0);
          String next = pages.next().apply(page);
          if (next == null || left <= 0) {
            return;
          }
          page = pages.after().apply(next);
        }
      }
    };
  }

  /** A page's rows as JSON objects, one field per column; whole numbers and booleans stay what they are. */
  static <R> void json(com.fasterxml.jackson.databind.node.ArrayNode out, String[] columns, List<R> rows,
      Function<R, Object[]> values) {
    for (R r : rows) {
      var v = out.addObject();
      Object[] fields = values.apply(r);
      for (int i = 0; i < columns.length; i++) {
        if (fields[i] instanceof Long n) {
          v.put(columns[i], n);
        } else if (fields[i] instanceof Boolean b) {
          v.put(columns[i], b);
        } else {
          v.put(columns[i], fields[i] == null ? null : fields[i].toString());
        }
      }
    }
  }
}
