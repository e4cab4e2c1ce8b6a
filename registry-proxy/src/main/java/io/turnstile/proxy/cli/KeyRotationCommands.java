package io.turnstile.proxy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * The subcommands that rotate signing keys kept in the store, shared by {@code turnstile
 * signing-key} (token keys) and {@code turnstile license-key} (license-signing keys): {@code add},
 * {@code activate KID}, {@code retire KID}. Each calls the admin routes of its parent's family, so a
 * kid of the other kind is refused there.
 */
final class KeyRotationCommands {
  /**
   * The parent command: which family of admin routes, where the admin API is, where to print.
   * Picocli fills the inherited fields of each subclass.
   */
  abstract static class Family {
    @Spec CommandSpec spec;
    @Mixin AdminOptions admin;

    /** The admin route family, e.g. {@code license-keys}. */
    abstract String route();

    PrintWriter out() {
      return spec.commandLine().getOut();
    }
  }

  private KeyRotationCommands() {}

  @Command(name = "add", description = "Generate a new key in the store; it verifies but does not sign yet.",
      mixinStandardHelpOptions = true)
  static final class Add implements Callable<Integer> {
    @ParentCommand Family family;

    @Override
    public Integer call() {
      return print(family, family.admin.call("POST", family.route(), null));
    }
  }

  /** A change of one key: {@code method} on the key's route, followed by {@code suffix}. */
  private abstract static class OneKey implements Callable<Integer> {
    private final String method;
    private final String suffix;
    @ParentCommand Family family;
    @Parameters(paramLabel = "KID") String kid;

    OneKey(String method, String suffix) {
      this.method = method;
      this.suffix = suffix;
    }

    @Override
    public Integer call() {
      return print(family, family.admin.call(method, family.route() + "/" + Paths.segment(kid) + suffix, null));
    }
  }

  @Command(name = "activate", description = "Make a key the one that signs; the one before keeps verifying.",
      mixinStandardHelpOptions = true)
  static final class Activate extends OneKey {
    Activate() {
      super("POST", "/activate");
    }
  }

  @Command(name = "retire", description = "Retire a key: what it signed stops verifying. The signing key cannot be.",
      mixinStandardHelpOptions = true)
  static final class Retire extends OneKey {
    Retire() {
      super("DELETE", "");
    }
  }

  /**
   * Prints one key, or each of {@code node}'s {@code keys}, as a table (kid, state, where it is kept
   * when the answer says, created, updated; {@code -} for a time a key from a file does not have) or
   * as JSON.
   */
  static int print(Family family, JsonNode node) {
    PrintWriter out = family.out();
    if (family.admin.jsonOutput()) {
      out.println(node.toPrettyString());
    } else {
      Iterable<JsonNode> answered = node.has("keys") ? node.get("keys") : List.of(node);
      List<JsonNode> keys = new ArrayList<>();
      answered.forEach(keys::add);
      boolean sourced = keys.stream().anyMatch(k -> k.has("source"));
      Table t = sourced ? new Table("KID", "STATE", "SOURCE", "CREATED", "UPDATED")
          : new Table("KID", "STATE", "CREATED", "UPDATED");
      for (JsonNode k : keys) {
        List<String> cells = new ArrayList<>(List.of(k.path("kid").asText(), k.path("state").asText()));
        if (sourced) {
          cells.add(k.path("source").asText());
        }
        cells.add(k.path("createdAt").textValue());
        cells.add(k.path("updatedAt").textValue());
        t.row(cells.toArray());
      }
      t.print(out);
    }
    out.flush();
    return 0;
  }
}
