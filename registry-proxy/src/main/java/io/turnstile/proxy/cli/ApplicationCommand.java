package io.turnstile.proxy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code turnstile application ...}: what the vendor defines per application through the API. */
@Command(name = "application", description = "Manage applications' entitlement fields.",
    mixinStandardHelpOptions = true, subcommands = ApplicationCommand.Entitlement.class)
public final class ApplicationCommand {
  /**
   * {@code turnstile application entitlement list|set|delete}: the entitlement fields of an
   * application. Fields of the configuration are listed but changed only there.
   */
  @Command(name = "entitlement", description = "List, define, change or delete an application's entitlement fields.",
      mixinStandardHelpOptions = true)
  static final class Entitlement {
    @Spec CommandSpec spec;
    @Mixin AdminOptions admin;

    private PrintWriter out() {
      return spec.commandLine().getOut();
    }

    @Command(name = "list", description = "List the application's fields, configured and defined through the API.")
    int list(@Parameters(paramLabel = "APPLICATION") String application) {
      JsonNode r = admin.call("GET", path(application, null), null);
      return print(r, () -> {
        Table t = new Table("NAME", "TYPE", "DEFAULT", "VISIBLE", "SOURCE");
        r.path("entitlements").forEach(f -> row(t, f));
        t.print(out());
      });
    }

    @Command(name = "set", description = "Define a field through the API, or change its type, default or visibility.")
    int set(@Parameters(index = "0", paramLabel = "APPLICATION") String application,
        @Parameters(index = "1", paramLabel = "FIELD") String field,
        @Option(names = "--type", required = true, description = "integer, boolean, string or date") String type,
        @Option(names = "--default", description = "The value of a license that sets none (dates YYYY-MM-DD);"
            + " default none") String defaultValue,
        @Option(names = "--visible", description = "Customers see it in the portal; default not") boolean visible) {
      ObjectNode body = admin.json().createObjectNode().put("type", type).put("visible", visible);
      if (defaultValue != null) {
        body.put("default", defaultValue);
      }
      JsonNode f = admin.call("PUT", path(application, field), body);
      return print(f, () -> {
        Table t = new Table("NAME", "TYPE", "DEFAULT", "VISIBLE", "SOURCE");
        row(t, f);
        t.print(out());
      });
    }

    @Command(name = "delete", description = "Delete a field defined through the API; refused while licenses hold"
        + " values for it.")
    int delete(@Parameters(index = "0", paramLabel = "APPLICATION") String application,
        @Parameters(index = "1", paramLabel = "FIELD") String field) {
      admin.call("DELETE", path(application, field), null);
      if (!admin.jsonOutput()) {
        out().println("deleted " + application + "." + field);
        out().flush();
      }
      return 0;
    }

    private static String path(String application, String field) {
      return "applications/" + Paths.segment(application) + "/entitlements"
          + (field == null ? "" : "/" + Paths.segment(field));
    }

    private void row(Table t, JsonNode f) {
      t.row(f.path("name").asText(), f.path("type").asText(), f.path("default").isNull() ? "-" : f.path("default").asText(),
          f.path("visible").asBoolean() ? "yes" : "no", f.path("source").asText());
    }

    private int print(JsonNode node, Runnable table) {
      if (admin.jsonOutput()) {
        out().println(node.toPrettyString());
      } else {
        table.run();
      }
      out().flush();
      return 0;
    }
  }
}
