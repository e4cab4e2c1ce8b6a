package io.turnstile.proxy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code turnstile customer ...}: manage customers through the admin API. */
@Command(name = "customer", description = "Manage customers.", mixinStandardHelpOptions = true,
    subcommandsRepeatable = false)
public final class CustomerCommand {
  @Spec CommandSpec spec;
  @Mixin AdminOptions admin;

  private PrintWriter out() {
    return spec.commandLine().getOut();
  }

  @Command(name = "create", description = "Create a customer.")
  int create(@Option(names = "--name", required = true, description = "Customer name") String name) {
    JsonNode c = admin.call("POST", "customers", Map.of("name", name));
    return print(c, () -> new Table("ID", "NAME", "CREATED").row(c.path("id").asText(), c.path("name").asText(),
        c.path("createdAt").asText()).print(out()));
  }

  @Command(name = "list", description = "List customers.")
  int list() {
    JsonNode r = admin.call("GET", "customers", null);
    return print(r, () -> {
      Table t = new Table("ID", "NAME", "CREATED");
      r.path("customers").forEach(c -> t.row(c.path("id").asText(), c.path("name").asText(), c.path("createdAt").asText()));
      t.print(out());
    });
  }

  @Command(name = "show", description = "Show a customer, with its last pull and the versions pulled lately.")
  int show(@Parameters(paramLabel = "CUSTOMER_ID") String id) {
    JsonNode c = admin.call("GET", "customers/" + Paths.segment(id), null);
    return print(c, () -> {
      new Table("ID", "NAME", "CREATED").row(c.path("id").asText(), c.path("name").asText(),
          c.path("createdAt").asText()).print(out());
      PullsCommand.printSummary(out(), c.path("pulls"));
    });
  }

  @Command(name = "rename", description = "Rename a customer.")
  int rename(@Parameters(paramLabel = "CUSTOMER_ID") String id,
      @Option(names = "--name", required = true, description = "The new name") String name) {
    JsonNode c = admin.call("PATCH", "customers/" + Paths.segment(id), Map.of("name", name));
    return print(c, () -> new Table("ID", "NAME", "CREATED").row(c.path("id").asText(), c.path("name").asText(),
        c.path("createdAt").asText()).print(out()));
  }

  @Command(name = "delete", description = "Delete a customer; its licenses and keys are revoked.")
  int delete(@Parameters(paramLabel = "CUSTOMER_ID") String id) {
    admin.call("DELETE", "customers/" + Paths.segment(id), null);
    if (!admin.jsonOutput()) {
      out().println("deleted " + id);
      out().flush();
    }
    return 0;
  }

  @Command(name = "create-key", description = "Create a customer-level key (docker login -u CUSTOMER_ID); shown once.")
  int createKey(@Parameters(paramLabel = "CUSTOMER_ID") String id) {
    JsonNode k = admin.call("POST", "customers/" + Paths.segment(id) + "/keys", null);
    return print(k, () -> new Table("USERNAME", "KEY", "KEY_ID")
        .row(k.path("username").asText(), k.path("key").asText(), k.path("keyId").asText()).print(out()));
  }

  @Command(name = "revoke-key", description = "Revoke a customer-level key.")
  int revokeKey(@Parameters(paramLabel = "CUSTOMER_ID") String id, @Parameters(paramLabel = "KEY_ID") String keyId) {
    admin.call("DELETE", "customers/" + Paths.segment(id) + "/keys/" + Paths.segment(keyId), null);
    if (!admin.jsonOutput()) {
      out().println("revoked " + keyId);
      out().flush();
    }
    return 0;
  }

  private int print(JsonNode node, Runnable table) {
    if (admin.jsonOutput()) {
      out().println(node.toPrettyString());
      out().flush();
    } else {
      table.run();
    }
    return 0;
  }
}
