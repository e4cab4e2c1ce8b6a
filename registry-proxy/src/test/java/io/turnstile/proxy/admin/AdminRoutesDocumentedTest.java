package io.turnstile.proxy.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.turnstile.config.ApplicationConfig;
import io.turnstile.config.RepositoryConfig;
import io.turnstile.config.StoreConfig;
import io.turnstile.config.TokenConfig;
import io.turnstile.proxy.testing.OpenApiContract;
import io.turnstile.store.Catalog;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.StoreFactory;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin router and the OpenAPI document ({@code openapi/admin-v1.yaml}) name the same routes:
 * every documented operation is served, every route served is documented, and each operation's
 * {@code x-role} is the role {@link Permissions} asks for. The router is a set of switches, not a
 * table, so the routes it serves are found by asking it: a path it does not serve answers {@code 404
 * "no such admin resource"} and a method it does not serve {@code 405}; anything else is a route. The
 * segments asked about are every literal in the admin package's sources, one and two levels below
 * every documented path, so a new {@code case "files"} is found without this test knowing of it.
 */
class AdminRoutesDocumentedTest {
  private static final String DOCUMENT = "registry-proxy/src/main/resources/openapi/admin-v1.yaml";
  private static final String NOT_ROUTED = "no such admin resource";
  private static final List<String> METHODS = List.of("GET", "POST", "PUT", "PATCH", "DELETE");
  private static final List<ApplicationConfig> APPS =
      List.of(new ApplicationConfig("app", List.of(new RepositoryConfig("vendor/app", "up", null, null))));

  @TempDir Path dir;
  private final ObjectMapper json = new ObjectMapper();
  private final OpenApiContract contract = OpenApiContract.admin();
  private LicenseStore store;
  private AdminApi api;
  /** Real ids for the path parameters that have routes below them; others take a made-up value. */
  private Map<String, String> ids;

  @BeforeEach
  void open() throws Exception {
    store = StoreFactory.open(new StoreConfig("jdbc:sqlite:" + dir.resolve("t.db"), null, null, null,
        dir.resolve("k"), 1), new Catalog(APPS), Clock.systemUTC());
    TokenConfig keysInStore = new TokenConfig(null, null, null, null, null, null, "store", null);
    api = new AdminApi(store, APPS, app -> List.of("1.0.0"), URI.create("https://registry.test"), keysInStore, json,
        Clock.systemUTC());
    String customer = call("POST", "/admin/v1/customers", "{\"name\":\"Acme\"}").body().get("id").asText();
    String license = call("POST", "/admin/v1/licenses",
        "{\"customerId\":\"" + customer + "\",\"application\":\"app\",\"versions\":[\"1.0.0\"]}")
        .body().get("id").asText();
    String kid = call("POST", "/admin/v1/signing-keys", null).body().get("kid").asText();
    String webhook = store.webhooks().create(URI.create("https://hooks.vendor.example/turnstile"), null,
        List.of("*"), true, "test").endpoint().id();
    ids = Map.of("customerId", customer, "licenseId", license, "kid", kid, "webhookId", webhook,
        "limit", "manifestPullsPerDay");
  }

  @AfterEach
  void close() {
    store.close();
  }

  @Test
  void everyRouteTheRouterServes_isInTheDocument() throws IOException {
    Set<String> prefixes = new TreeSet<>();
    prefixes.add("/admin/v1");
    for (OpenApiContract.Operation op : adminOperations()) {
      String path = filled(op.path());
      for (int i = path.indexOf('/', "/admin/v1/".length()); i > 0; i = path.indexOf('/', i + 1)) {
        prefixes.add(path.substring(0, i));
      }
      prefixes.add(path);
    }
    Set<String> segments = literalsOfTheAdminSources();
    List<String> undocumented = new ArrayList<>();
    for (String prefix : prefixes) {
      for (String segment : segments) {
        for (String path : List.of(prefix + "/" + segment, prefix + "/" + segment + "/x0")) {
          if (contract.pathTemplate(path) != null) {
            continue;
          }
          AdminResponse r = call("PUT", path, null);
          if (!(r.status() == 404 && NOT_ROUTED.equals(error(r)))) {
            undocumented.add(template(path) + " (PUT answered " + r.status() + " " + error(r) + ")");
          }
        }
      }
    }
    assertThat(undocumented)
        .as("the admin router serves these paths, but %s has none of them: add each under `paths`", DOCUMENT)
        .isEmpty();
  }

  @Test
  void everyMethodTheRouterServesOnADocumentedPath_isInTheDocument() {
    List<String> undocumented = new ArrayList<>();
    for (String template : adminPaths()) {
      Set<String> documented = new TreeSet<>();
      adminOperations().stream().filter(op -> op.path().equals(template))
          .forEach(op -> documented.add(op.method().toUpperCase()));
      for (String method : METHODS) {
        if (documented.contains(method)) {
          continue;
        }
        AdminResponse r = call(method, filled(template), null);
        boolean refused = r.status() == 405 || (r.status() == 404 && NOT_ROUTED.equals(error(r)));
        if (!refused) {
          undocumented.add(method + " " + template + " (answered " + r.status() + " " + error(r) + ")");
        }
      }
    }
    assertThat(undocumented)
        .as("the admin router serves these operations, but %s does not document them", DOCUMENT)
        .isEmpty();
  }

  @Test
  void everyDocumentedOperation_isServed_andNeedsTheRoleItsXRoleSays() {
    List<String> problems = new ArrayList<>();
    for (OpenApiContract.Operation op : adminOperations()) {
      String method = op.method().toUpperCase();
      String path = filled(op.path());
      List<String> segments = AdminApi.segments(path);
      String needed = Permissions.needed(method, segments).label();
      if (!needed.equals(op.node().path("x-role").asText())) {
        problems.add(method + " " + op.path() + ": x-role is '" + op.node().path("x-role").asText()
            + "' but Permissions asks for '" + needed + "'");
      }
      AdminResponse r = call(method, path, null);
      if (r.status() == 405 || (r.status() == 404 && NOT_ROUTED.equals(error(r)))) {
        problems.add(method + " " + op.path() + " is documented but the router answers " + r.status() + " "
            + error(r));
      }
    }
    assertThat(problems).isEmpty();
  }

  /**
   * The operations the admin router serves: all but the document itself, served by {@link
   * ApiDocsHandler}, and a license's bundle, streamed by {@link AdminBundles} (BundlesIT calls it).
   */
  private List<OpenApiContract.Operation> adminOperations() {
    return contract.operations().stream().filter(op -> !op.path().equals(ApiDocsHandler.DOCUMENT_PATH)
        && !op.path().equals("/admin/v1/licenses/{licenseId}/bundle")).toList();
  }

  private Set<String> adminPaths() {
    Set<String> out = new TreeSet<>();
    adminOperations().forEach(op -> out.add(op.path()));
    return out;
  }

  /** {@code template} with a real id or a made-up value for each parameter. */
  private String filled(String template) {
    Matcher m = Pattern.compile("\\{([^}]+)}").matcher(template);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(sb, Matcher.quoteReplacement(ids.getOrDefault(m.group(1), "x0")));
    }
    m.appendTail(sb);
    return sb.toString();
  }

  /** {@code path} with the real ids put back as the parameters they stand for, for a reader. */
  private String template(String path) {
    String out = path;
    for (Map.Entry<String, String> id : ids.entrySet()) {
      out = out.replace("/" + id.getValue(), "/{" + id.getKey() + "}");
    }
    return out;
  }

  /** Every string literal of the admin package's sources that could be a path segment. */
  private static Set<String> literalsOfTheAdminSources() throws IOException {
    Path sources = Path.of("src/main/java/io/turnstile/proxy/admin");
    Pattern literal = Pattern.compile("\"([a-z][a-z0-9-]*)\"");
    Set<String> out = new TreeSet<>();
    try (Stream<Path> files = Files.list(sources)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        Matcher m = literal.matcher(Files.readString(f, StandardCharsets.UTF_8));
        while (m.find()) {
          out.add(m.group(1));
        }
      }
    }
    assertThat(out).as("literals of %s", sources.toAbsolutePath()).contains("customers", "licenses");
    return out;
  }

  private AdminResponse call(String method, String path, String body) {
    return api.handle(method, path, Map.of(), body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8),
        Actor.ADMIN_TOKEN, "application/json");
  }

  private static String error(AdminResponse r) {
    JsonNode body = r.body();
    return body == null || !body.has("error") ? "" : body.get("error").asText();
  }
}
