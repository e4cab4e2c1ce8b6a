package io.turnstile.proxy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code turnstile activity}: who did what at the vendor, newest first, as a table, JSON or CSV. */
@Command(name = "activity", mixinStandardHelpOptions = true,
    description = "Show the activity log: every change to customers, licenses, keys and API tokens, and every"
        + " console sign-in, with who made it, newest first.")
public final class ActivityCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin AdminOptions admin;

  @Option(names = "--actor", paramLabel = "WHO",
      description = "Only this actor, as recorded: alice@vendor.example, admin-token, api-token:NAME (OWNER)")
  String actor;
  @Option(names = "--customer", paramLabel = "CUSTOMER_ID") String customer;
  @Option(names = "--license", paramLabel = "LICENSE_ID") String license;
  @Option(names = "--since", paramLabel = "DATE", description = "From this time on: YYYY-MM-DD (UTC) or RFC 3339")
  String since;
  @Option(names = "--until", paramLabel = "DATE", description = "Before this time: YYYY-MM-DD (UTC) or RFC 3339")
  String until;
  @Option(names = "--limit", paramLabel = "N",
      description = "Most records shown; default 100 for a table or JSON, every record for CSV")
  Integer limit;

  private PrintWriter out() {
    return spec.commandLine().getOut();
  }

  @Override
  public Integer call() {
    String output = admin.output;
    if (!output.equals("table") && !output.equals("json") && !output.equals("csv")) {
      throw new CliException("--output must be table, json or csv");
    }
    if (limit != null && limit < 1) {
      throw new CliException("--limit must be at least 1");
    }
    StringBuilder q = new StringBuilder("activity?");
    PullsCommand.param(q, "actor", actor);
    PullsCommand.param(q, "customerId", customer);
    PullsCommand.param(q, "licenseId", license);
    PullsCommand.param(q, "since", PullsCommand.time("--since", since));
    PullsCommand.param(q, "until", PullsCommand.time("--until", until));
    if (output.equals("csv")) {
      PullsCommand.param(q, "limit", limit == null ? null : limit.toString());
      PullsCommand.param(q, "format", "csv");
      out().print(admin.text(q.toString(), "text/csv"));
      out().flush();
      return 0;
    }
    LogPages.Read read = LogPages.read(admin, q, "activity", limit);
    if (output.equals("json")) {
      return LogPages.printJson(admin, out(), read, "activity");
    }
    Table t = new Table("TIME", "WHO", "WHAT", "CUSTOMER", "LICENSE", "DETAIL");
    for (JsonNode a : read.rows()) {
      t.row(a.path("at").asText(), a.path("actor").asText(), a.path("action").asText(), text(a, "customerId"),
          text(a, "licenseId"), text(a, "detail"));
    }
    t.print(out());
    if (read.next() != null) {
      out().println("(more: raise --limit, or narrow with --since/--until)");
      out().flush();
    }
    return 0;
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.path(field);
    return v.isNull() || v.isMissingNode() ? null : v.asText();
  }
}
