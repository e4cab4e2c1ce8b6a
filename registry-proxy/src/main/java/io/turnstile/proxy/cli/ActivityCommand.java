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
  @Mixin LogOptions window;

  private PrintWriter out() {
    return spec.commandLine().getOut();
  }

  @Override
  public Integer call() {
    String output = admin.output;
    StringBuilder q = window.query("activity", output);
    PullsCommand.param(q, "actor", actor);
    PullsCommand.param(q, "customerId", customer);
    PullsCommand.param(q, "licenseId", license);
    LogPages.Read read = LogPages.printOrRead(admin, out(), q, "activity", window.limit, output);
    if (read == null) {
      return 0;
    }
    Table t = new Table("TIME", "WHO", "WHAT", "CUSTOMER", "LICENSE", "DETAIL");
    for (JsonNode a : read.rows()) {
      t.row(a.path("at").asText(), a.path("actor").asText(), a.path("action").asText(), PullsCommand.text(a, "customerId"),
          PullsCommand.text(a, "licenseId"), PullsCommand.text(a, "detail"));
    }
    t.print(out());
    LogPages.printMore(out(), read);
    return 0;
  }
}
