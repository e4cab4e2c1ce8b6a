package io.turnstile.proxy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** Reads a log that the admin API answers in pages, newest first (pulls, activity), up to a limit. */
final class LogPages {
  /** Records shown when no {@code --limit} is given. */
  static final int DEFAULT_LIMIT = 100;

  private LogPages() {}

  /** The records read, and the cursor of what is left (null: nothing). */
  record Read(List<JsonNode> rows, String next) {}

  /** Reads pages of {@code query} (a path with its filters) until {@code limit} records or the last page. */
  private static Read read(AdminOptions admin, StringBuilder query, String field, Integer limit) {
    int wanted = limit == null ? DEFAULT_LIMIT : limit;
    List<JsonNode> rows = new ArrayList<>();
    String next = null;
    do {
      StringBuilder page = new StringBuilder(query);
      PullsCommand.param(page, "limit", Integer.toString(Math.min(1000, wanted - rows.size())));
      PullsCommand.param(page, "cursor", next);
      JsonNode r = admin.call("GET", page.toString(), null);
      r.path(field).forEach(rows::add);
      next = r.path("next").isTextual() ? r.path("next").asText() : null;
    } while (next != null && rows.size() < wanted);
    return new Read(rows, next);
  }

  /**
   * For {@code -o csv} or {@code -o json}, prints the whole answer and returns null (CSV as the API
   * streams it; JSON as one object {@code {field: [...], "next": ...}}); for a table, returns the
   * records read, for the caller to print with {@link #printMore} after them.
   */
  static Read printOrRead(AdminOptions admin, PrintWriter out, StringBuilder query, String field, Integer limit,
      String output) {
    if (output.equals("csv")) {
      PullsCommand.param(query, "limit", limit == null ? null : limit.toString());
      PullsCommand.param(query, "format", "csv");
      out.print(admin.text(query.toString(), "text/csv"));
      out.flush();
      return null;
    }
    Read read = read(admin, query, field, limit);
    if (!output.equals("json")) {
      return read;
    }
    ObjectNode all = admin.json().createObjectNode();
    ArrayNode list = all.putArray(field);
    read.rows().forEach(list::add);
    all.put("next", read.next());
    out.println(all.toPrettyString());
    out.flush();
    return null;
  }

  /** Says so when there are more records than a table showed. */
  static void printMore(PrintWriter out, Read read) {
    if (read.next() != null) {
      out.println("(more: raise --limit, or narrow with --since/--until)");
    }
    out.flush();
  }
}
