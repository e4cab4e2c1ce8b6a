package io.turnstile.proxy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.turnstile.store.Expiry;
import io.turnstile.store.InvalidInputException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code turnstile license ...}: manage licenses through the admin API. */
@Command(name = "license", description = "Manage licenses.", mixinStandardHelpOptions = true,
    subcommands = {LicenseFileCommand.class, LicenseVerifyCommand.class, FairUseCommands.Usage.class,
        FairUseCommands.Limit.class})
public final class LicenseCommand {
  @Spec CommandSpec spec;
  @Mixin AdminOptions admin;

  private PrintWriter out() {
    return spec.commandLine().getOut();
  }

  @Command(name = "create", description = "Create a license; prints its username and key (shown once).")
  int create(
      @Option(names = "--customer", required = true, paramLabel = "CUSTOMER_ID") String customer,
      @Option(names = "--application", required = true) String application,
      @Option(names = "--version", paramLabel = "VERSION", description = "A granted version; repeat for more") List<String> versions,
      @Option(names = "--range", paramLabel = "RANGE", description = "A granted range in npm syntax (2.x, ~2.4.0, '>=2.0.0 <3.0.0'), or '*' for every version; repeat for more") List<String> ranges,
      @Option(names = "--include-prerelease", description = "The --range grants include pre-releases (2.5.0-rc.1 in 2.x)") boolean includePrerelease,
      @Option(names = "--keep-released-before-expiry", description = "Once expired, keep granting what was released before the expiry") boolean keep,
      @Option(names = "--name", description = "Default: the application name") String name,
      @Option(names = "--expires", paramLabel = "DATE", description = "RFC 3339 time or YYYY-MM-DD (UTC); default never") String expires,
      @Option(names = "--upstream-username", description = "Pull with these upstream credentials instead of the upstream's; the password is read from stdin or TURNSTILE_UPSTREAM_PASSWORD") String upstreamUsername,
      @Option(names = "--entitlement", paramLabel = "NAME=VALUE", description = "An entitlement value, e.g. seats=25; repeat for more") List<String> entitlements) {
    ObjectNode body = admin.json().createObjectNode()
        .put("customerId", customer)
        .put("application", application);
    if (name != null) body.put("name", name);
    body.put("expiresAt", expiry(expires));
    var vs = body.putArray("versions");
    if (versions != null) versions.forEach(vs::add);
    if (ranges != null) {
      body.set("ranges", rangeList(ranges, includePrerelease));
    } else if (includePrerelease) {
      throw new CliException("--include-prerelease applies to --range: give one");
    }
    if (keep) body.put("keepReleasedBeforeExpiry", true);
    if (entitlements != null) body.set("entitlements", entitlements(entitlements, false));
    if (upstreamUsername != null) {
      body.putObject("upstreamCredentials").put("username", upstreamUsername).put("password", secretInput("TURNSTILE_UPSTREAM_PASSWORD"));
    }
    JsonNode l = admin.call("POST", "licenses", body);
    if (admin.jsonOutput()) {
      return printJson(l);
    }
    licenseTable(List.of(l));
    out().println();
    out().println("username: " + l.path("username").asText());
    out().println("key:      " + l.path("key").asText());
    out().println("The key is shown only now. Customers log in with: docker login <proxy host> -u "
        + l.path("username").asText());
    out().flush();
    return 0;
  }

  @Command(name = "list", description = "List licenses.")
  int list(@Option(names = "--customer", paramLabel = "CUSTOMER_ID") String customer) {
    JsonNode r = admin.call("GET", "licenses" + (customer == null ? "" : "?customerId=" + Paths.segment(customer)), null);
    if (admin.jsonOutput()) {
      return printJson(r);
    }
    List<JsonNode> all = new ArrayList<>();
    r.path("licenses").forEach(all::add);
    licenseTable(all);
    return 0;
  }

  @Command(name = "show", description = "Show a license with its history.")
  int show(@Parameters(paramLabel = "LICENSE_ID") String id) {
    JsonNode l = admin.call("GET", "licenses/" + Paths.segment(id), null);
    if (admin.jsonOutput()) {
      return printJson(l);
    }
    licenseTable(List.of(l));
    if (!l.path("upstreamCredentials").isNull() && l.has("upstreamCredentials")) {
      out().println("upstream username: " + l.path("upstreamCredentials").path("username").asText());
    }
    if (!l.path("entitlements").isEmpty()) {
      List<String> values = new ArrayList<>();
      l.path("entitlements").fields().forEachRemaining(e -> values.add(e.getKey() + "=" + e.getValue().asText()));
      out().println("entitlements: " + String.join(", ", values));
    }
    PullsCommand.printSummary(out(), l.path("pulls"));
    out().println();
    Table h = new Table("AT", "ACTOR", "ACTION", "DETAIL");
    l.path("history").forEach(e -> h.row(e.path("at").asText(), e.path("actor").asText(), e.path("action").asText(),
        e.path("detail").isNull() ? null : e.path("detail").asText()));
    h.print(out());
    return 0;
  }

  static final class GrantWhat {
    @Option(names = "--version", paramLabel = "VERSION", description = "Grant this version; repeat for more")
    List<String> versions;

    @Option(names = "--range", paramLabel = "RANGE", description = "Grant this range (npm syntax, or '*' for every version); repeat for more")
    List<String> ranges;
  }

  @Command(name = "grant", description = "Grant versions (--version), ranges (--range) or every version (--range '*').")
  int grant(@Parameters(paramLabel = "LICENSE_ID") String id,
      @ArgGroup(exclusive = false, multiplicity = "1") GrantWhat what,
      @Option(names = "--include-prerelease", description = "The --range grants include pre-releases") boolean includePrerelease) {
    if (includePrerelease && what.ranges == null) {
      throw new CliException("--include-prerelease applies to --range: give one");
    }
    JsonNode l = null;
    if (what.versions != null) {
      l = admin.call("POST", "licenses/" + Paths.segment(id) + "/versions", Map.of("versions", what.versions));
    }
    if (what.ranges != null) {
      ObjectNode body = admin.json().createObjectNode();
      body.set("ranges", rangeList(what.ranges, includePrerelease));
      l = admin.call("POST", "licenses/" + Paths.segment(id) + "/ranges", body);
    }
    return printLicense(l);
  }

  static final class RevokeWhat {
    @Option(names = "--version", paramLabel = "VERSION", required = true, description = "Revoke this version; repeat for more")
    List<String> versions;

    @Option(names = "--range", paramLabel = "RANGE", required = true, description = "Revoke this range (as granted, or '*'); repeat for more")
    List<String> ranges;

    @Option(names = "--license", required = true, description = "Revoke the whole license (its record stays for history)")
    boolean license;
  }

  @Command(name = "revoke", description = "Revoke versions (--version), ranges (--range) or the whole license (--license).")
  int revoke(@Parameters(paramLabel = "LICENSE_ID") String id,
      @ArgGroup(exclusive = true, multiplicity = "1") RevokeWhat what) {
    JsonNode l = null;
    if (what.license) {
      l = admin.call("DELETE", "licenses/" + Paths.segment(id), null);
    } else if (what.ranges != null) {
      for (String r : what.ranges) {
        l = admin.call("DELETE", "licenses/" + Paths.segment(id) + "/ranges/" + Paths.segment(r), null);
      }
    } else {
      for (String v : what.versions) {
        l = admin.call("DELETE", "licenses/" + Paths.segment(id) + "/versions/" + Paths.segment(v), null);
      }
    }
    return printLicense(l);
  }

  @Command(name = "update", description = "Change a license's name, expiry, upstream credentials or entitlements.")
  int update(@Parameters(paramLabel = "LICENSE_ID") String id,
      @Option(names = "--name") String name,
      @Option(names = "--expires", paramLabel = "DATE", description = "RFC 3339 time, YYYY-MM-DD (UTC) or 'never'") String expires,
      @Option(names = "--upstream-username", description = "Set own upstream credentials; password from stdin or TURNSTILE_UPSTREAM_PASSWORD") String upstreamUsername,
      @Option(names = "--clear-upstream-credentials", description = "Pull with the upstream's own credentials again") boolean clear,
      @Option(names = "--keep-released-before-expiry", paramLabel = "true|false", arity = "1", description = "Once expired, keep granting what was released before the expiry") Boolean keep,
      @Option(names = "--entitlement", paramLabel = "NAME=VALUE", description = "Set an entitlement value, e.g. seats=25; NAME= goes back to the default; repeat for more") List<String> entitlements) {
    ObjectNode body = admin.json().createObjectNode();
    if (entitlements != null) body.set("entitlements", entitlements(entitlements, true));
    if (name != null) body.put("name", name);
    if (expires != null) body.put("expiresAt", expiry(expires));
    if (upstreamUsername != null && clear) {
      throw new CliException("--upstream-username and --clear-upstream-credentials exclude each other");
    }
    if (upstreamUsername != null) {
      body.putObject("upstreamCredentials").put("username", upstreamUsername).put("password", secretInput("TURNSTILE_UPSTREAM_PASSWORD"));
    }
    if (clear) body.putNull("upstreamCredentials");
    if (keep != null) body.put("keepReleasedBeforeExpiry", keep);
    if (body.isEmpty()) {
      throw new CliException("nothing to change: give --name, --expires, --upstream-username, --clear-upstream-credentials,"
          + " --keep-released-before-expiry or --entitlement");
    }
    return printLicense(admin.call("PATCH", "licenses/" + Paths.segment(id), body));
  }

  @Command(name = "move", description = "Move a license to another customer, with its key, grants and pull tokens.")
  int move(@Parameters(paramLabel = "LICENSE_ID") String id,
      @Option(names = "--customer", required = true, paramLabel = "CUSTOMER_ID", description = "The customer it moves to") String customer) {
    ObjectNode body = admin.json().createObjectNode().put("customerId", customer);
    return printLicense(admin.call("POST", "licenses/" + Paths.segment(id) + "/move", body));
  }

  @Command(name = "rotate-key", description = "Replace the license key; the old key, and tokens issued for it, stop working.")
  int rotateKey(@Parameters(paramLabel = "LICENSE_ID") String id) {
    JsonNode k = admin.call("POST", "licenses/" + Paths.segment(id) + "/key", null);
    if (admin.jsonOutput()) {
      return printJson(k);
    }
    out().println("username: " + k.path("username").asText());
    out().println("key:      " + k.path("key").asText());
    out().flush();
    return 0;
  }

  @Command(name = "pull-secret",
      description = "Print a Kubernetes image pull secret for the license (pipe to 'kubectl apply -f -'). "
          + "The key is read from TURNSTILE_LICENSE_KEY or stdin, never from the command line.")
  int pullSecret(@Parameters(paramLabel = "LICENSE_ID") String id,
      @Option(names = "--name", description = "Secret name; default turnstile-<license id>") String name,
      @Option(names = "--namespace") String namespace) {
    ObjectNode body = admin.json().createObjectNode().put("key", secretInput("TURNSTILE_LICENSE_KEY"));
    if (name != null) body.put("name", name);
    if (namespace != null) body.put("namespace", namespace);
    return printJson(admin.call("POST", "licenses/" + Paths.segment(id) + "/pull-secret", body));
  }

  // ---- helpers ----

  private int printLicense(JsonNode l) {
    if (admin.jsonOutput()) {
      return printJson(l);
    }
    licenseTable(List.of(l));
    return 0;
  }

  private int printJson(JsonNode n) {
    out().println(n.toPrettyString());
    out().flush();
    return 0;
  }

  private void licenseTable(List<JsonNode> licenses) {
    Table t = new Table("ID", "CUSTOMER", "APPLICATION", "NAME", "GRANTS", "EXPIRES", "STATE");
    for (JsonNode l : licenses) {
      String expires = l.path("expiresAt").isNull() ? "never" : l.path("expiresAt").asText();
      if (l.path("keepReleasedBeforeExpiry").asBoolean(false)) {
        expires += " (keeps earlier releases)";
      }
      t.row(l.path("id").asText(), l.path("customerId").asText(), l.path("application").asText(),
          l.path("name").asText(), grants(l), expires, l.path("state").asText());
    }
    t.print(out());
  }

  /**
   * A license's grants, each with its kind: {@code exact 1.2.0, range 2.x, range ~3.1.0 (+pre),
   * all *}. A license from an older server, with only {@code versions}, shows them as exact.
   */
  static String grants(JsonNode license) {
    List<String> out = new ArrayList<>();
    if (license.has("grants")) {
      for (JsonNode g : license.path("grants")) {
        String kind = g.path("kind").asText();
        out.add(kind + " " + g.path("value").asText()
            + (g.path("includePrerelease").asBoolean(false) ? " (+pre)" : ""));
      }
    } else {
      license.path("versions").forEach(v -> out.add("exact " + v.asText()));
    }
    return String.join(", ", out);
  }

  /**
   * {@code --entitlement NAME=VALUE} options as the API's object; the server checks names and
   * types. With {@code resets}, {@code NAME=} is null: back to the field's default.
   */
  private ObjectNode entitlements(List<String> pairs, boolean resets) {
    ObjectNode out = admin.json().createObjectNode();
    for (String pair : pairs) {
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw new CliException("--entitlement: '" + pair + "' is not NAME=VALUE (e.g. seats=25)");
      }
      String name = pair.substring(0, eq);
      String value = pair.substring(eq + 1);
      if (value.isEmpty() && resets) {
        out.putNull(name);
      } else {
        out.put(name, value);
      }
    }
    return out;
  }

  private ArrayNode rangeList(List<String> ranges, boolean includePrerelease) {
    ArrayNode list = admin.json().createArrayNode();
    for (String r : ranges) {
      if (includePrerelease) {
        list.addObject().put("range", r).put("includePrerelease", true);
      } else {
        list.add(r);
      }
    }
    return list;
  }

  /**
   * {@code --expires}: null or "never" for no expiry, else what {@link Expiry} reads (a date, start
   * of day UTC, or an RFC 3339 time), checked here so a typo fails before any call.
   */
  static String expiry(String value) {
    if (value == null || value.equalsIgnoreCase("never")) {
      return null;
    }
    try {
      return Expiry.parse("--expires", value).toString();
    } catch (InvalidInputException e) {
      throw new CliException("--expires: '" + value + "' is not a date (YYYY-MM-DD), an RFC 3339 time or 'never'");
    }
  }

  /** A secret from the environment variable, else the first line of stdin. */
  private static String secretInput(String env) {
    String v = System.getenv(env);
    if (v != null && !v.isEmpty()) {
      return v;
    }
    try {
      String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
      if (line == null || line.isEmpty()) {
        throw new CliException("set " + env + " or write the secret on stdin");
      }
      return line.strip();
    } catch (IOException e) {
      throw new CliException("cannot read stdin: " + e.getMessage());
    }
  }
}
