package io.turnstile.proxy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code turnstile signing-key ...}: rotate the token signing keys kept in the store ({@code
 * token.keySource: store}): {@code add}, then {@code activate KID}, then, once the old key's tokens
 * have expired, {@code retire OLD_KID}.
 */
@Command(name = "signing-key", description = "Rotate the token signing keys kept in the store.",
    mixinStandardHelpOptions = true)
public final class SigningKeyCommand {
  @Spec CommandSpec spec;
  @Mixin AdminOptions admin;

  @Command(name = "list", description = "List the signing keys and what each is used for.")
  int list() {
    JsonNode r = admin.call("GET", "signing-keys", null);
    return print(r, () -> {
      Table t = new Table("KID", "STATE", "CREATED");
      r.path("keys").forEach(k -> t.row(k.path("kid").asText(), k.path("state").asText(), k.path("createdAt").asText()));
      t.print(out());
    });
  }

  @Command(name = "add", description = "Generate a new key; it verifies tokens but does not sign yet.")
  int add() {
    return one(admin.call("POST", "signing-keys", null));
  }

  @Command(name = "activate", description = "Make a key the one that signs; the previous one keeps verifying.")
  int activate(@Parameters(paramLabel = "KID") String kid) {
    return one(admin.call("POST", "signing-keys/" + Paths.segment(kid) + "/activate", null));
  }

  @Command(name = "retire", description = "Retire a key: tokens it signed stop verifying.")
  int retire(@Parameters(paramLabel = "KID") String kid) {
    return one(admin.call("DELETE", "signing-keys/" + Paths.segment(kid), null));
  }

  private int one(JsonNode k) {
    return print(k, () -> new Table("KID", "STATE", "CREATED")
        .row(k.path("kid").asText(), k.path("state").asText(), k.path("createdAt").asText()).print(out()));
  }

  private PrintWriter out() {
    return spec.commandLine().getOut();
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
