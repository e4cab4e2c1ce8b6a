package io.turnstile.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.turnstile.testkit.Distribution;
import io.turnstile.testkit.Seeder;
import io.turnstile.testkit.TurnstileProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What each client's suite pulls from: distribution seeded with the suite's content, Turnstile in
 * front of it, one customer with a customer-level key, and licenses made on demand. One per test
 * class, shared by its tests.
 */
final class ClientStack implements AutoCloseable {
  /** A login: the username ({@code lic_...} or {@code cus_...}) and its key; {@code licenseId} null for a customer key. */
  record Login(String username, String key, String licenseId) {}

  final Path dir;
  final Distribution upstream;
  final Seeder content;
  final TurnstileProcess turnstile;
  final String customer;
  final Login customerKey;

  private ClientStack(Path dir, Distribution upstream, Seeder content, TurnstileProcess turnstile, String customer,
      Login customerKey) {
    this.dir = dir;
    this.upstream = upstream;
    this.content = content;
    this.turnstile = turnstile;
    this.customer = customer;
    this.customerKey = customerKey;
  }

  static ClientStack start(String name) throws Exception {
    Path dir = Files.createTempDirectory("turnstile-e2e-" + name);
    Distribution upstream = Distribution.basic(dir.resolve("upstream"), dir.resolve("storage"),
        Map.of("vendor", "vendor-secret")).start();
    TurnstileProcess turnstile = null;
    try {
      Seeder content = new Seeder(upstream.url(), "vendor", "vendor-secret").seedAll();
      // Kept before it starts, so that one that never answers is stopped all the same.
      turnstile = new TurnstileProcess(dir.resolve("turnstile"));
      turnstile.start(upstream.url(), "vendor", "vendor-secret");
      String customer = turnstile.cli("customer", "create", "--name", "Acme").get("id").asText();
      JsonNode key = turnstile.cli("customer", "create-key", customer);
      return new ClientStack(dir, upstream, content, turnstile, customer,
          new Login(key.get("username").asText(), key.get("key").asText(), null));
    } catch (Exception | AssertionError e) {
      if (turnstile != null) turnstile.close();
      upstream.close();
      throw e;
    }
  }

  /** A new license of the customer for {@code application} granting {@code versions}. */
  Login license(String application, String... versions) {
    List<String> args = new ArrayList<>(List.of("license", "create", "--customer", customer, "--application", application));
    for (String v : versions) {
      args.add("--version");
      args.add(v);
    }
    JsonNode l = turnstile.cli(args.toArray(String[]::new));
    return new Login(l.get("username").asText(), l.get("key").asText(), l.get("id").asText());
  }

  /** Revokes the whole license, as {@code turnstile license revoke ID --license}. */
  void revoke(Login license) {
    turnstile.cli("license", "revoke", license.licenseId(), "--license");
  }

  String host() {
    return turnstile.host();
  }

  String ref(String repoAndTag) {
    return turnstile.host() + "/" + repoAndTag;
  }

  @Override
  public void close() {
    turnstile.close();
    upstream.close();
  }
}
