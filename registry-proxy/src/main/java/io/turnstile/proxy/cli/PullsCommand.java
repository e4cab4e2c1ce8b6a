package io.turnstile.proxy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.turnstile.store.Expiry;
import io.turnstile.store.InvalidInputException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code turnstile pulls}: the pull audit log, newest first, as a table, JSON or CSV. */
@Command(name = "pulls", mixinStandardHelpOptions = true,
    description = "Show who pulled which version: the pull audit log, newest first.")
public final class PullsCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin AdminOptions admin;

  @Option(names = "--license", paramLabel = "LICENSE_ID") String license;
  @Option(names = "--customer", paramLabel = "CUSTOMER_ID") String customer;
  @Option(names = "--application", paramLabel = "APP") String application;
  @Mixin LogOptions window;

  private PrintWriter out() {
    return spec.commandLine().getOut();
  }

  @Override
  public Integer call() {
    String output = admin.output;
    StringBuilder q = window.query("pulls", output);
    param(q, "licenseId", license);
    param(q, "customerId", customer);
    param(q, "application", application);
    LogPages.Read read = LogPages.printOrRead(admin, out(), q, "pulls", window.limit, output);
    if (read == null) {
      return 0;
    }
    Table t = new Table("TIME", "LICENSE", "CUSTOMER", "KEY", "REPOSITORY", "TAG", "VERSION", "DIGEST", "CLIENT", "GETS");
    for (JsonNode p : read.rows()) {
      t.row(p.path("at").asText(), text(p, "licenseId"), text(p, "customerId"), text(p, "credential"),
          text(p, "repository"), text(p, "tag"), text(p, "version"), shortDigest(text(p, "digest")),
          text(p, "clientAddress"), p.path("count").asText("1"));
    }
    t.print(out());
    LogPages.printMore(out(), read);
    return 0;
  }

  /** The versions pulled lately, under a license or customer view; nothing when none was recorded. */
  static void printSummary(PrintWriter out, JsonNode pulls) {
    if (pulls.isMissingNode() || pulls.isNull()) {
      return;
    }
    out.println();
    out.println("last pull: " + (pulls.path("last").isNull() ? "never" : pulls.path("last").asText()));
    if (!pulls.path("versions30d").isEmpty()) {
      Table t = new Table("APPLICATION", "VERSION PULLED (30 DAYS)", "LAST");
      pulls.path("versions30d").forEach(v -> t.row(v.path("application").asText(), v.path("version").asText(),
          v.path("last").asText()));
      t.print(out);
    }
    out.flush();
  }

  /** A field of {@code n} as text; null when null or absent. */
  static String text(JsonNode n, String field) {
    JsonNode v = n.path(field);
    return v.isNull() || v.isMissingNode() ? null : v.asText();
  }

  private static String shortDigest(String digest) {
    int colon = digest == null ? -1 : digest.indexOf(':');
    return colon < 0 || digest.length() <= colon + 13 ? digest : digest.substring(0, colon + 13);
  }

  static String time(String option, String value) {
    if (value == null) {
      return null;
    }
    try {
      return Expiry.parse(option, value).toString();
    } catch (InvalidInputException e) {
      throw new CliException(option + ": '" + value + "' is not a date (YYYY-MM-DD) or an RFC 3339 time");
    }
  }

  static void param(StringBuilder q, String name, String value) {
    if (value != null) {
      if (q.charAt(q.length() - 1) != '?') {
        q.append('&');
      }
      q.append(name).append('=').append(Paths.segment(value));
    }
  }
}
