package io.turnstile.proxy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code turnstile license usage} and {@code turnstile license limit}: a license's fair-use limits. */
final class FairUseCommands {
  private FairUseCommands() {}

  /** Prints the usage view as a table, or as JSON with {@code -o json}. */
  static int print(AdminOptions admin, PrintWriter out, JsonNode u) {
    if (admin.jsonOutput()) {
      out.println(u.toPrettyString());
      out.flush();
      return 0;
    }
    Table t = new Table("LIMIT", "PERIOD", "USED", "OF", "MODE", "FROM", "RESETS");
    for (JsonNode l : u.path("limits")) {
      t.row(l.path("limit").asText(), l.path("period").asText(), l.path("used").asText(), l.path("amount").asText(),
          l.path("mode").asText(), l.path("source").asText(), l.path("resetsOn").asText());
    }
    t.print(out);
    if (u.path("limits").isEmpty()) {
      out.println("no fair-use limits");
    }
    if (!u.path("addresses").isEmpty()) {
      out.println();
      Table a = new Table("ADDRESS TODAY", "FIRST SEEN", "USER AGENT");
      u.path("addresses").forEach(x -> a.row(x.path("address").asText(), x.path("firstSeen").asText(),
          PullsCommand.text(x, "userAgent")));
      a.print(out);
    }
    out.flush();
    return 0;
  }

  /** {@code turnstile license usage ID}. */
  @Command(name = "usage", mixinStandardHelpOptions = true,
      description = "Show a license's fair-use limits and their use in the current periods.")
  static final class Usage implements Callable<Integer> {
    @Spec CommandSpec spec;
    @ParentCommand LicenseCommand parent;
    @Parameters(index = "0", paramLabel = "LICENSE_ID") String license;

    @Override
    public Integer call() {
      AdminOptions admin = parent.admin;
      return print(admin, spec.commandLine().getOut(),
          admin.call("GET", "licenses/" + Paths.segment(license) + "/usage", null));
    }
  }

  /** {@code turnstile license limit ID LIMIT AMOUNT [--mode M]} or {@code ... --remove}. */
  @Command(name = "limit", mixinStandardHelpOptions = true,
      description = "Set a license's own fair-use limit (manifestPullsPerDay, blobBytesPerMonth, addressesPerDay),"
          + " overriding its application's, or remove it.")
  static final class Limit implements Callable<Integer> {
    @Spec CommandSpec spec;
    @ParentCommand LicenseCommand parent;
    @Parameters(index = "0", paramLabel = "LICENSE_ID") String license;
    @Parameters(index = "1", paramLabel = "LIMIT") String limit;
    @Parameters(index = "2", arity = "0..1", paramLabel = "AMOUNT", description = "A count, or a size such as 50GiB")
    String amount;
    @Option(names = "--mode", description = "enforce (default) or watch") String mode;
    @Option(names = "--remove", description = "Remove the license's own limit: its application's applies") boolean remove;

    @Override
    public Integer call() {
      AdminOptions admin = parent.admin;
      String path = "licenses/" + Paths.segment(license) + "/limits/" + Paths.segment(limit);
      if (remove) {
        if (amount != null || mode != null) {
          throw new CliException("--remove takes no AMOUNT and no --mode");
        }
        admin.call("DELETE", path, null);
        return print(admin, spec.commandLine().getOut(),
            admin.call("GET", "licenses/" + Paths.segment(license) + "/usage", null));
      }
      if (amount == null) {
        throw new CliException("give the AMOUNT (a count, or a size such as 50GiB), or --remove");
      }
      ObjectNode body = admin.json().createObjectNode();
      if (amount.chars().allMatch(Character::isDigit) && amount.length() <= 18) {
        body.put("limit", Long.parseLong(amount));
      } else {
        body.put("limit", amount);
      }
      if (mode != null) {
        body.put("mode", mode);
      }
      return print(admin, spec.commandLine().getOut(), admin.call("PUT", path, body));
    }
  }
}
