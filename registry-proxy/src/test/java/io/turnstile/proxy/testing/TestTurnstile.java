package io.turnstile.proxy.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.turnstile.config.ApplicationConfig;
import io.turnstile.config.ConfigLoader;
import io.turnstile.config.LimitsConfig;
import io.turnstile.config.TurnstileConfig;
import io.turnstile.proxy.server.TurnstileServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A real Turnstile on free ports with a fresh SQLite store in {@code dir}, configured from YAML
 * like a user would; {@code upstreamUrl} is where its single upstream lives.
 */
public final class TestTurnstile implements AutoCloseable {
  public static final String ADMIN_TOKEN = "test-admin-token-0123456789";

  public final TurnstileServer server;
  public final TurnstileConfig config;
  public final ObjectMapper json = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();

  public TestTurnstile(Path dir, String upstreamUrl) throws Exception {
    this(dir, upstreamUrl, "");
  }

  /**
   * @param extraUpstreamYaml more keys for the upstream, each line indented by four spaces, e.g.
   *     {@code "    readTimeout: 1s"}
   */
  public TestTurnstile(Path dir, String upstreamUrl, String extraUpstreamYaml) throws Exception {
    this(dir, upstreamUrl, extraUpstreamYaml, true);
  }

  public TestTurnstile(Path dir, String upstreamUrl, String extraUpstreamYaml, boolean upstreamCredentials)
      throws Exception {
    this(dir, upstreamUrl, extraUpstreamYaml, upstreamCredentials, "");
  }

  /**
   * @param extraServerYaml more keys for {@code server}, each line indented by two spaces, e.g.
   *     {@code "  maxConnections: 10"}
   */
  public TestTurnstile(Path dir, String upstreamUrl, String extraUpstreamYaml, boolean upstreamCredentials,
      String extraServerYaml) throws Exception {
    this(dir, upstreamUrl, extraUpstreamYaml, upstreamCredentials, extraServerYaml,
        "  url: jdbc:sqlite:" + dir + "/turnstile.db\n", "", "0s");
  }

  /**
   * One of several replicas on one PostgreSQL database; replicas given the same {@code dir} share
   * the signing key and the store's encryption key, as replicas must.
   */
  public static TestTurnstile replica(Path dir, String upstreamUrl, String jdbcUrl, String pollInterval)
      throws Exception {
    return replica(dir, upstreamUrl, jdbcUrl, pollInterval, false);
  }

  /**
   * As {@link #replica(Path, String, String, String)}; {@code keysInStore}: token.keySource and
   * licenseFiles.keySource store.
   */
  public static TestTurnstile replica(Path dir, String upstreamUrl, String jdbcUrl, String pollInterval,
      boolean keysInStore) throws Exception {
    String store = keysInStore ? "  keySource: store\n" : "";
    return new TestTurnstile(dir, upstreamUrl, "", true, "",
        "  url: " + jdbcUrl + "\n  username: postgres\n  pollInterval: " + pollInterval + "\n", store, "0s", "",
        Map.of(), "", store, UnaryOperator.identity(), Clock.systemUTC());
  }

  /** As {@link #replica(Path, String, String, String)}, with top-level keys {@code extraYaml} (e.g. {@code webhooks:}). */
  public static TestTurnstile replica(Path dir, String upstreamUrl, String jdbcUrl, String pollInterval,
      String extraYaml) throws Exception {
    return new TestTurnstile(dir, upstreamUrl, "", true, extraYaml,
        "  url: " + jdbcUrl + "\n  username: postgres\n  pollInterval: " + pollInterval + "\n", "", "0s");
  }

  /**
   * A Turnstile whose signing keys, token and license keys alike, are kept in the store ({@code
   * token.keySource: store}, {@code licenseFiles.keySource: store}), with top-level keys {@code
   * extraYaml} (e.g. {@code webhooks:}).
   */
  public static TestTurnstile keysInStore(Path dir, String upstreamUrl, String extraYaml) throws Exception {
    return new TestTurnstile(dir, upstreamUrl, "", true, extraYaml, "  url: jdbc:sqlite:" + dir + "/turnstile.db\n",
        "  keySource: store\n", "0s", "", Map.of(), "", "  keySource: store\n", UnaryOperator.identity(),
        Clock.systemUTC());
  }

  /**
   * A Turnstile that lists every repository's tags upstream every {@code tagWatch}; the others
   * never watch, so that the upstream sees only what each test asks for.
   */
  public static TestTurnstile watchingTags(Path dir, String upstreamUrl, String tagWatch) throws Exception {
    return new TestTurnstile(dir, upstreamUrl, "", true, "", "  url: jdbc:sqlite:" + dir + "/turnstile.db\n", "",
        tagWatch);
  }

  /**
   * A Turnstile with more keys for {@code cache}, each line indented by two spaces, e.g. {@code "
   * tagTtl: 0s"}, and for the upstream as in {@link #TestTurnstile(Path, String, String)}.
   */
  public static TestTurnstile withCache(Path dir, String upstreamUrl, String extraUpstreamYaml, String cacheYaml)
      throws Exception {
    return new TestTurnstile(dir, upstreamUrl, extraUpstreamYaml, true, "",
        "  url: jdbc:sqlite:" + dir + "/turnstile.db\n", "", "0s\n" + cacheYaml);
  }

  /**
   * A Turnstile whose {@code admin} section has more keys, each line indented by two spaces (e.g.
   * {@code admin.oidc}); {@code env} adds variables for them.
   */
  public static TestTurnstile withAdmin(Path dir, String upstreamUrl, String extraAdminYaml, Map<String, String> env)
      throws Exception {
    return new TestTurnstile(dir, upstreamUrl, "", true, "", "  url: jdbc:sqlite:" + dir + "/turnstile.db\n", "",
        "0s", extraAdminYaml, env);
  }

  private TestTurnstile(Path dir, String upstreamUrl, String extraUpstreamYaml, boolean upstreamCredentials,
      String extraServerYaml, String storeYaml, String tokenYaml, String tagWatch) throws Exception {
    this(dir, upstreamUrl, extraUpstreamYaml, upstreamCredentials, extraServerYaml, storeYaml, tokenYaml, tagWatch,
        "", Map.of());
  }

  /**
   * A Turnstile whose application {@code app} has the entitlement fields {@code seats} (integer,
   * default 5, visible), {@code sso} (boolean, default false, hidden) and {@code supportUntil}
   * (date, no default, visible), with license-signing keys {@code licenseKeysYaml} (lines of the
   * {@code licenseFiles} section indented by two spaces; empty: one key in {@code dir}).
   */
  public static TestTurnstile withEntitlements(Path dir, String upstreamUrl, String licenseKeysYaml) throws Exception {
    return new TestTurnstile(dir, upstreamUrl, "", true, "", "  url: jdbc:sqlite:" + dir + "/turnstile.db\n", "", "0s",
        "", Map.of(), """
                entitlements:
                  - {name: seats, type: integer, default: 5, visible: true}
                  - {name: sso, type: boolean, default: false}
                  - {name: supportUntil, type: date, visible: true}
            """, licenseKeysYaml, UnaryOperator.identity(), Clock.systemUTC());
  }

  /**
   * A Turnstile whose application {@code app} has the fair-use {@code limits}, counted by {@code
   * usageClock}; {@code storeYaml} as in the other factories (null: SQLite in {@code dir}), {@code
   * extraYaml} more top-level keys (e.g. {@code webhooks:}).
   */
  public static TestTurnstile withLimits(Path dir, String upstreamUrl, LimitsConfig limits, Clock usageClock,
      String storeYaml, String extraYaml) throws Exception {
    return new TestTurnstile(dir, upstreamUrl, "", true, extraYaml,
        storeYaml != null ? storeYaml : "  url: jdbc:sqlite:" + dir + "/turnstile.db\n", "", "0s", "", Map.of(), "", "",
        config -> new TurnstileConfig(config.server(), config.admin(), config.token(), config.store(), config.cache(),
            config.upstreams(), config.applications().stream().map(a -> !a.name().equals("app") ? a
                : new ApplicationConfig(a.name(), a.repositories(), a.endOfLife(), a.entitlements(), limits)).toList(),
            config.logging(), config.audit(), config.webhooks(), config.licenseFiles()),
        usageClock);
  }

  private TestTurnstile(Path dir, String upstreamUrl, String extraUpstreamYaml, boolean upstreamCredentials,
      String extraServerYaml, String storeYaml, String tokenYaml, String tagWatch, String extraAdminYaml,
      Map<String, String> extraEnv) throws Exception {
    this(dir, upstreamUrl, extraUpstreamYaml, upstreamCredentials, extraServerYaml, storeYaml, tokenYaml, tagWatch,
        extraAdminYaml, extraEnv, "", "", UnaryOperator.identity(), Clock.systemUTC());
  }

  private TestTurnstile(Path dir, String upstreamUrl, String extraUpstreamYaml, boolean upstreamCredentials,
      String extraServerYaml, String storeYaml, String tokenYaml, String tagWatch, String extraAdminYaml,
      Map<String, String> extraEnv, String appYaml, String licenseKeysYaml, UnaryOperator<TurnstileConfig> adjust,
      Clock usageClock) throws Exception {
    String yaml = """
        server:
          listen: 127.0.0.1:0
          publicUrl: http://registry.test:5443
        %5$s
        admin:
          listen: 127.0.0.1:0
          token: ${ADMIN_TOKEN}
        %9$s
        cache:
          tagWatch: %8$s
        token:
          signingKey: %1$s/signing-key.pem
        %7$s
        licenseFiles:
        %11$s
        store:
        %6$s
          encryptionKeyFile: %1$s/store.key
        upstreams:
          - name: vendor
            url: %2$s
        %4$s
        %3$s
        applications:
          - name: app
            endOfLife: ["1.0.0"]
        %10$s
            repositories:
              - name: vendor/app
                upstream: vendor
                repository: org/app
              - name: charts/app
                upstream: vendor
                repository: org/charts/app
          - name: tool
            repositories:
              - name: vendor/tool
                upstream: vendor
                tags: ["v{version}"]
        """.formatted(dir, upstreamUrl, extraUpstreamYaml,
            upstreamCredentials ? "    username: vendor\n    password: ${UPSTREAM_PASSWORD}" : "", extraServerYaml,
            storeYaml, tokenYaml, tagWatch, extraAdminYaml, appYaml,
            licenseKeysYaml.isEmpty() ? "  signingKey: " + dir + "/license-signing-key.jwk" : licenseKeysYaml);
    Map<String, String> env = new java.util.HashMap<>(extraEnv);
    env.put("ADMIN_TOKEN", ADMIN_TOKEN);
    env.put("UPSTREAM_PASSWORD", "vendor-secret");
    this.config = adjust.apply(new ConfigLoader(env::get).parse("test.yaml", yaml));
    this.server = TurnstileServer.start(config, usageClock);
  }

  /** The public registry's base URL, for clients. */
  public String registryUrl() {
    return "http://127.0.0.1:" + server.registryAddress().getPort();
  }

  /** A customer's license as a client logs in with it. */
  public record Login(String customer, String username, String key) {
    /** The {@code Authorization} header value for Basic credentials. */
    public String basic() {
      return TestTurnstile.basic(username, key);
    }
  }

  public static String basic(String user, String secret) {
    return "Basic " + java.util.Base64.getEncoder().encodeToString(
        (user + ":" + secret).getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /** A new customer "Acme" with a license for {@code application} granting {@code versions}. */
  public Login license(String application, String... versions) throws Exception {
    String customer = admin("POST", "/admin/v1/customers", "{\"name\":\"Acme\"}").body().get("id").asText();
    String list = versions.length == 0 ? "" : "\"" + String.join("\",\"", versions) + "\"";
    JsonNode l = admin("POST", "/admin/v1/licenses", "{\"customerId\":\"" + customer + "\",\"application\":\""
        + application + "\",\"versions\":[" + list + "]}").body();
    return new Login(customer, l.get("id").asText(), l.get("key").asText());
  }

  public String adminUrl() {
    return "http://127.0.0.1:" + server.adminAddress().getPort();
  }

  /** An admin API answer. */
  public record Answer(int status, JsonNode body, String raw) {}

  public Answer admin(String method, String path, String body) throws Exception {
    return admin(method, path, body, ADMIN_TOKEN);
  }

  public Answer admin(String method, String path, String body, String token) throws Exception {
    return admin(method, path, body, token, null);
  }

  /** An admin call sent with {@code Idempotency-Key: idempotencyKey}. */
  public Answer adminWithKey(String method, String path, String body, String idempotencyKey) throws Exception {
    return admin(method, path, body, ADMIN_TOKEN, idempotencyKey);
  }

  private Answer admin(String method, String path, String body, String token, String idempotencyKey)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(adminUrl() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (idempotencyKey != null) {
      b.header("Idempotency-Key", idempotencyKey);
    }
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (path.startsWith("/admin/v1/")) {
      // Every admin call a test makes is also a check of the OpenAPI document against the server.
      List<String> violations = OpenApiContract.admin().violations(method, path, body, r.statusCode(),
          r.headers().firstValue("Content-Type").orElse(null), r.body());
      if (!violations.isEmpty()) {
        throw new AssertionError("the admin API and its OpenAPI document (openapi/admin-v1.yaml) disagree:\n  "
            + String.join("\n  ", violations));
      }
    }
    boolean isJson = r.headers().firstValue("Content-Type").orElse("").startsWith("application/json");
    JsonNode node = r.body().isEmpty() || !isJson ? null : json.readTree(r.body());
    return new Answer(r.statusCode(), node, r.body());
  }

  /**
   * When the store recorded the newest edit of {@code licenseId}: the newest time in its history,
   * by the clock every replica and the test share. A promise about how soon an edit shows is
   * measured from here, so that neither a slow admin call nor the test's own waiting counts.
   */
  public Instant lastEditOf(String licenseId) throws Exception {
    Instant newest = Instant.MIN;
    for (JsonNode event : admin("GET", "/admin/v1/licenses/" + licenseId, null).body().get("history")) {
      Instant at = Instant.parse(event.get("at").asText());
      newest = at.isAfter(newest) ? at : newest;
    }
    return newest;
  }

  /**
   * Requires {@code received} to be within the README's second of the newest edit of {@code
   * licenseId} ({@link #lastEditOf}); the failure says the measured figure.
   */
  public void assertWithinASecondOfTheEdit(String licenseId, Instant received, String what) throws Exception {
    Duration took = Duration.between(lastEditOf(licenseId), received);
    org.assertj.core.api.Assertions.assertThat(took)
        .as("%s reached the open stream %d ms after it was made", what, took.toMillis())
        .isLessThan(Duration.ofSeconds(1));
  }

  @Override
  public void close() {
    server.close();
  }
}
