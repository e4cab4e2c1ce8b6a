package io.turnstile.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.turnstile.testkit.Proc;
import io.turnstile.testkit.TurnstileProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Webhooks from the built jar to a receiver written in Node, which verifies every delivery with the
 * npm {@code standardwebhooks} package: a license's lifecycle made with the CLI arrives in order,
 * each event once; a receiver that fails three times gets the event on the fourth attempt; a
 * receiver that is down while Turnstile is killed with SIGKILL and started again still gets
 * everything.
 */
class WebhooksE2E {
  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final String WEBHOOKS_YAML = """
      webhooks:
        allowHttp: true
        allowAddresses: [127.0.0.0/8]
        retryBase: 200ms
        poll: 100ms
      """;

  private final ObjectMapper json = new ObjectMapper();
  private Path dir;
  private TurnstileProcess turnstile;
  private final List<Process> receivers = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    dir = Files.createTempDirectory("turnstile-webhooks-e2e");
  }

  @AfterEach
  void stop() {
    receivers.forEach(Proc::stop);
    if (turnstile != null) {
      turnstile.close();
    }
  }

  /** The receiver on {@code port} (0: any), failing its first {@code failFirst} requests; its port. */
  private int receiver(int port, int failFirst) throws Exception {
    String nodePath = System.getenv("TURNSTILE_WEBHOOKS_NODE_PATH");
    assertThat(nodePath).as("TURNSTILE_WEBHOOKS_NODE_PATH (node_modules holding standardwebhooks@1.1.1; "
        + "e2e/run.sh sets it)").isNotBlank();
    assertThat(Path.of(nodePath, "standardwebhooks", "package.json")).exists();
    Path script = Path.of(WebhooksE2E.class.getResource("/webhook-receiver.js").toURI());
    Path log = dir.resolve("receiver-" + receivers.size() + ".out");
    Process p = Proc.start(List.of(Proc.require("node"), script.toString(), Integer.toString(port),
        dir.resolve("secret").toString(), events().toString(), Integer.toString(failFirst)),
        Map.of("NODE_PATH", nodePath), log);
    receivers.add(p);
    Pattern listening = Pattern.compile("listening on (\\d+)");
    int[] found = new int[1];
    Proc.await("the Node receiver to listen", PATIENCE, () -> {
      if (!p.isAlive()) {
        throw new AssertionError("the Node receiver exited: " + read(log));
      }
      Matcher m = listening.matcher(read(log));
      if (m.find()) {
        found[0] = Integer.parseInt(m.group(1));
        return true;
      }
      return false;
    });
    return found[0];
  }

  private Path events() {
    return dir.resolve("events.jsonl");
  }

  private static String read(Path p) {
    try {
      return Files.exists(p) ? Files.readString(p) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every request the receiver logged, in arrival order. */
  private List<JsonNode> requests() {
    List<JsonNode> out = new ArrayList<>();
    for (String line : read(events()).split("\n")) {
      if (!line.isBlank()) {
        try {
          out.add(json.readTree(line));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    return out;
  }

  /** The events the receiver accepted, once each by webhook-id, in the order first accepted. */
  private List<JsonNode> accepted() {
    Map<String, JsonNode> byId = new LinkedHashMap<>();
    for (JsonNode r : requests()) {
      if (r.path("status").asInt() < 300) {
        byId.putIfAbsent(r.path("id").asText(), r);
      }
    }
    return new ArrayList<>(byId.values());
  }

  private TurnstileProcess turnstile() throws Exception {
    turnstile = new TurnstileProcess(dir.resolve("turnstile")).extraYaml(WEBHOOKS_YAML)
        .start("http://127.0.0.1:9", "vendor", "vendor-secret");
    return turnstile;
  }

  private String endpoint(int port, String events) throws IOException {
    JsonNode e = turnstile.cli("webhook", "create", "--url", "http://127.0.0.1:" + port + "/hooks", "--event", events,
        "--description", "Node receiver");
    Files.writeString(dir.resolve("secret"), e.get("secret").asText());
    return e.get("id").asText();
  }

  @Test
  void aLicensesLifecycleMadeWithTheCli_arrivesVerified_inOrder_eachEventOnce() throws Exception {
    turnstile();
    int port = receiver(0, 0);
    endpoint(port, "license.created,license.version_granted,license.key_rotated,license.revoked");
    String customer = turnstile.cli("customer", "create", "--name", "Acme").get("id").asText();
    String license = turnstile.cli("license", "create", "--customer", customer, "--application", "app",
        "--version", "1.0.0").get("id").asText();
    turnstile.cli("license", "grant", license, "--version", "1.1.0");
    turnstile.cli("license", "rotate-key", license);
    turnstile.cli("license", "revoke", license, "--license");

    Proc.await("four events at the receiver", PATIENCE, () -> accepted().size() >= 4);
    List<JsonNode> events = accepted();
    assertThat(events).extracting(e -> e.path("type").asText()).containsExactly("license.created",
        "license.version_granted", "license.key_rotated", "license.revoked");
    assertThat(events).allSatisfy(e -> {
      assertThat(e.path("verified").asBoolean()).as(e.toString()).isTrue();
      assertThat(e.path("data").path("id").asText()).isEqualTo(license);
    });
    assertThat(requests()).as("each event delivered once").hasSize(4);
  }

  @Test
  void aReceiverAnswering500ThreeTimes_getsTheEventOnTheFourthAttempt() throws Exception {
    turnstile();
    int port = receiver(0, 3);
    String endpoint = endpoint(port, "customer.created");
    turnstile.cli("customer", "create", "--name", "Acme");
    Proc.await("the event accepted", PATIENCE, () -> accepted().size() == 1);
    List<JsonNode> all = requests();
    assertThat(all).extracting(r -> r.path("status").asInt()).containsExactly(500, 500, 500, 204);
    assertThat(all).extracting(r -> r.path("id").asText()).containsOnly(all.get(0).path("id").asText());
    assertThat(all).allSatisfy(r -> assertThat(r.path("verified").asBoolean()).isTrue());
    Proc.await("the delivery recorded as delivered", PATIENCE, () -> turnstile.cli("webhook", "deliveries", endpoint)
        .path("deliveries").path(0).path("state").asText().equals("delivered"));
    JsonNode d = turnstile.cli("webhook", "deliveries", endpoint).path("deliveries").path(0);
    assertThat(d.path("attempts").asInt()).isEqualTo(4);
  }

  @Test
  void aReceiverDownWhileTurnstileIsKilledAndRestarted_stillGetsEveryEvent() throws Exception {
    turnstile();
    int port = Proc.freePort();
    endpoint(port, "customer.created,license.created");
    String customer = turnstile.cli("customer", "create", "--name", "Acme").get("id").asText();
    turnstile.cli("license", "create", "--customer", customer, "--application", "app", "--version", "1.0.0");
    turnstile.cli("customer", "create", "--name", "Initech");
    turnstile.kill();
    assertThat(turnstile.isAlive()).isFalse();
    turnstile.start("http://127.0.0.1:9", "vendor", "vendor-secret");
    receiver(port, 0);
    Proc.await("three events at the receiver", PATIENCE, () -> accepted().size() >= 3);
    assertThat(accepted()).extracting(e -> e.path("type").asText())
        .containsExactlyInAnyOrder("customer.created", "license.created", "customer.created");
    assertThat(accepted()).allSatisfy(e -> assertThat(e.path("verified").asBoolean()).isTrue());
  }
}
