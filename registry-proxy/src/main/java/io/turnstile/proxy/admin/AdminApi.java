package io.turnstile.proxy.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.turnstile.config.ApplicationConfig;
import io.turnstile.config.RepositoryConfig;
import io.turnstile.config.TokenConfig;
import io.turnstile.proxy.oci.PullSecrets;
import io.turnstile.store.Access;
import io.turnstile.store.AuthResult;
import io.turnstile.store.Change;
import io.turnstile.store.ConflictException;
import io.turnstile.store.CustomerId;
import io.turnstile.store.CustomerKey;
import io.turnstile.store.InvalidInputException;
import io.turnstile.store.IssuedKey;
import io.turnstile.store.License;
import io.turnstile.store.LicenseId;
import io.turnstile.store.LicensePatch;
import io.turnstile.store.LicenseState;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.NewLicense;
import io.turnstile.store.NoSuchCustomerException;
import io.turnstile.store.NoSuchLicenseException;
import io.turnstile.store.NoSuchRangeException;
import io.turnstile.store.NoSuchVersionException;
import io.turnstile.store.StoreUnavailableException;
import io.turnstile.store.UpstreamCredentials;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API's routes and their JSON, independent of the transport. Each call is one store
 * transaction; nothing here ever returns a license key except the responses that create one, and
 * never an upstream password.
 */
public final class AdminApi {
  private static final Logger log = LoggerFactory.getLogger(AdminApi.class);
  static final String PREFIX = "/admin/v1/";
  private static final Set<String> CREDENTIAL_FIELDS = Set.of("username", "password");

  private final LicenseStore store;
  private final List<ApplicationConfig> applications;
  private final VersionSource versions;
  private final URI publicUrl;
  private final ObjectMapper json;
  private final Clock clock;
  private final AdminViews views;
  private final SigningKeyApi signingKeys;
  private final PullsApi pulls;

  public AdminApi(LicenseStore store, List<ApplicationConfig> applications, VersionSource versions,
      URI publicUrl, TokenConfig tokens, ObjectMapper json, Clock clock) {
    this.store = store;
    this.applications = List.copyOf(applications);
    this.versions = versions;
    this.publicUrl = publicUrl;
    this.json = json;
    this.clock = clock;
    this.views = new AdminViews(json, clock);
    this.signingKeys = new SigningKeyApi(store, tokens, json);
    this.pulls = new PullsApi(store.pulls(), json, clock);
  }

  /**
   * Serves one call; {@code path} is the raw path without the query, {@code accept} the request's
   * Accept header (null when absent). The admin listener's handler and the console both come here,
   * so every rule is checked in one place.
   */
  public AdminResponse handle(String method, String path, Map<String, List<String>> query, byte[] body, String actor,
      String accept) {
    try {
      return route(method, segments(path), query, body, actor, accept);
    } catch (ApiError e) {
      return error(e.status, e.field, e.getMessage());
    } catch (InvalidInputException e) {
      return error(400, e.field(), e.getMessage());
    } catch (NoSuchCustomerException | NoSuchLicenseException | NoSuchVersionException | NoSuchRangeException e) {
      return error(404, null, e.getMessage());
    } catch (ConflictException e) {
      return error(409, null, e.getMessage());
    } catch (StoreUnavailableException e) {
      log.warn("admin call {} {} refused: {}", method, path, e.getMessage());
      return error(503, null, e.getMessage());
    } catch (RuntimeException e) {
      log.error("admin call {} {} failed", method, path, e);
      return error(500, null, "internal error");
    }
  }

  private AdminResponse route(String method, List<String> p, Map<String, List<String>> query, byte[] body,
      String actor, String accept) {
    int n = p.size();
    if (n == 0) {
      throw new ApiError(404, "no such admin resource");
    }
    switch (p.get(0)) {
      case "customers" -> {
        if (n == 1) {
          return switch (method) {
            case "POST" -> createCustomer(body, actor);
            case "GET" -> listCustomers();
            default -> notAllowed("GET, POST");
          };
        }
        CustomerId id = new CustomerId(p.get(1));
        if (n == 2) {
          return switch (method) {
            case "GET" -> AdminResponse.ok(views.customer(store.customer(id)).set("pulls", pulls.summary(id)));
            case "DELETE" -> {
              store.deleteCustomer(id, actor);
              yield AdminResponse.noContent();
            }
            default -> notAllowed("GET, DELETE");
          };
        }
        if (p.get(2).equals("keys")) {
          if (n == 3) {
            return switch (method) {
              case "POST" -> AdminResponse.created(views.issuedKey(store.createCustomerKey(id, actor)));
              case "GET" -> listCustomerKeys(id);
              default -> notAllowed("GET, POST");
            };
          }
          if (n == 4) {
            if (!method.equals("DELETE")) return notAllowed("DELETE");
            store.revokeCustomerKey(id, p.get(3), actor);
            return AdminResponse.noContent();
          }
        }
      }
      case "licenses" -> {
        if (n == 1) {
          return switch (method) {
            case "POST" -> createLicense(body, actor);
            case "GET" -> listLicenses(query);
            default -> notAllowed("GET, POST");
          };
        }
        LicenseId id = new LicenseId(p.get(1));
        if (n == 2) {
          return switch (method) {
            case "GET" -> AdminResponse.ok(views.license(store.license(id), store.history(id))
                .set("pulls", pulls.summary(id)));
            case "PATCH" -> updateLicense(id, body, actor);
            case "DELETE" -> AdminResponse.ok(views.license(store.revokeLicense(id, actor), null));
            default -> notAllowed("GET, PATCH, DELETE");
          };
        }
        switch (p.get(2)) {
          case "versions" -> {
            if (n == 3) {
              if (!method.equals("POST")) return notAllowed("POST");
              JsonBody b = JsonBody.parse(json, body, Set.of("versions"));
              return AdminResponse.ok(views.license(store.grantVersions(id, b.strings("versions", true), actor), null));
            }
            if (n == 4) {
              if (!method.equals("DELETE")) return notAllowed("DELETE");
              return AdminResponse.ok(views.license(store.revokeVersion(id, p.get(3), actor), null));
            }
          }
          case "ranges" -> {
            if (n == 3) {
              if (!method.equals("POST")) return notAllowed("POST");
              JsonBody b = JsonBody.parse(json, body, Set.of("ranges"));
              return AdminResponse.ok(views.license(store.grantRanges(id, b.ranges("ranges", true), actor), null));
            }
            if (n == 4) {
              if (!method.equals("DELETE")) return notAllowed("DELETE");
              return AdminResponse.ok(views.license(store.revokeRange(id, p.get(3), actor), null));
            }
          }
          case "key" -> {
            if (n == 3) {
              if (!method.equals("POST")) return notAllowed("POST");
              return AdminResponse.created(views.issuedKey(store.rotateKey(id, actor)));
            }
          }
          case "pull-secret" -> {
            if (n == 3) {
              if (!method.equals("POST")) {
                return notAllowed("POST (send the license key in a JSON body: {\"key\": \"tsk_...\"})");
              }
              return pullSecret(id, body);
            }
          }
          default -> { }
        }
      }
      case "signing-keys" -> {
        return signingKeys.route(method, p, actor);
      }
      case "pulls" -> {
        if (n == 1) {
          if (!method.equals("GET")) return notAllowed("GET");
          return pulls.list(query, accept);
        }
      }
      case "applications" -> {
        if (n == 1) {
          if (!method.equals("GET")) return notAllowed("GET");
          return listApplications();
        }
      }
      default -> { }
    }
    throw new ApiError(404, "no such admin resource");
  }

  // ---- customers ----

  private AdminResponse createCustomer(byte[] body, String actor) {
    JsonBody b = JsonBody.parse(json, body, Set.of("name"));
    return AdminResponse.created(views.customer(store.createCustomer(b.text("name", true), actor)));
  }

  private AdminResponse listCustomers() {
    ArrayNode list = json.createArrayNode();
    store.customers().forEach(c -> list.add(views.customer(c)));
    ObjectNode out = json.createObjectNode();
    out.set("customers", list);
    return AdminResponse.ok(out);
  }

  private AdminResponse listCustomerKeys(CustomerId id) {
    ArrayNode list = json.createArrayNode();
    for (CustomerKey k : store.customerKeys(id)) {
      list.addObject().put("keyId", k.id()).put("username", id.value()).put("createdAt", k.createdAt().toString());
    }
    ObjectNode out = json.createObjectNode();
    out.set("keys", list);
    return AdminResponse.ok(out);
  }

  // ---- licenses ----

  private AdminResponse createLicense(byte[] body, String actor) {
    JsonBody b = JsonBody.parse(json, body, Set.of("name", "customerId", "application", "expiresAt", "versions",
        "ranges", "keepReleasedBeforeExpiry", "upstreamCredentials"));
    Boolean keep = b.bool("keepReleasedBeforeExpiry");
    NewLicense request = new NewLicense(
        b.text("name", false),
        new CustomerId(b.text("customerId", true)),
        b.text("application", true),
        b.instant("expiresAt"),
        b.strings("versions", false),
        b.ranges("ranges", false),
        keep != null && keep,
        credentials(b.object("upstreamCredentials", CREDENTIAL_FIELDS)));
    IssuedKey key = store.createLicense(request, actor);
    License license = store.license(new LicenseId(key.username()));
    ObjectNode view = views.license(license, null);
    view.put("key", key.key());
    return AdminResponse.created(view);
  }

  private AdminResponse listLicenses(Map<String, List<String>> query) {
    List<String> customer = query.getOrDefault("customerId", List.of());
    CustomerId filter = customer.isEmpty() ? null : new CustomerId(customer.get(0));
    if (filter != null) {
      store.customer(filter);
    }
    ArrayNode list = json.createArrayNode();
    store.licenses(filter).forEach(l -> list.add(views.license(l, null)));
    ObjectNode out = json.createObjectNode();
    out.set("licenses", list);
    return AdminResponse.ok(out);
  }

  private AdminResponse updateLicense(LicenseId id, byte[] body, String actor) {
    JsonBody b = JsonBody.parse(json, body, Set.of("name", "expiresAt", "upstreamCredentials", "keepReleasedBeforeExpiry"));
    Change<String> name = b.has("name") ? Change.set(b.text("name", true)) : Change.keep();
    Change<Instant> expiresAt = b.has("expiresAt") ? Change.setOrClear(b.instant("expiresAt")) : Change.keep();
    Change<UpstreamCredentials> creds = b.has("upstreamCredentials")
        ? Change.setOrClear(credentials(b.object("upstreamCredentials", CREDENTIAL_FIELDS)))
        : Change.keep();
    Change<Boolean> keep = b.has("keepReleasedBeforeExpiry") ? Change.setOrClear(b.bool("keepReleasedBeforeExpiry"))
        : Change.keep();
    return AdminResponse.ok(views.license(store.update(id, new LicensePatch(name, expiresAt, creds, keep), actor), null));
  }

  private static UpstreamCredentials credentials(JsonBody b) {
    if (b == null) {
      return null;
    }
    String username = b.text("username", false);
    String password = b.text("password", false);
    if (username == null || username.isBlank()) {
      throw ApiError.badRequest("upstreamCredentials.username", "is required");
    }
    if (password == null || password.isEmpty()) {
      throw ApiError.badRequest("upstreamCredentials.password", "is required");
    }
    return new UpstreamCredentials(username, password);
  }

  private AdminResponse pullSecret(LicenseId id, byte[] body) {
    JsonBody b = JsonBody.parse(json, body, Set.of("key", "name", "namespace"));
    License license = store.license(id);
    String key = b.text("key", true);
    Instant now = clock.instant();
    AuthResult auth = store.authorize(id.value(), key);
    boolean keyMatches = auth instanceof Access
        || (auth instanceof io.turnstile.store.Refusal r && r.reason() != io.turnstile.store.Refusal.Reason.BAD_CREDENTIALS);
    if (!keyMatches) {
      throw ApiError.badRequest("key", "is not the current key of license " + id);
    }
    String name = b.text("name", false);
    if (name == null) {
      name = "turnstile-" + license.id().value().replace('_', '-');
    } else if (!name.matches("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")) {
      throw ApiError.badRequest("name", "'" + name + "' is not a valid Kubernetes object name");
    }
    String namespace = b.text("namespace", false);
    if (namespace != null && !namespace.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
      throw ApiError.badRequest("namespace", "'" + namespace + "' is not a valid Kubernetes namespace");
    }
    LicenseState state = license.state(now);
    if (!license.grantsAnythingAt(now)) {
      // A secret that kubelet can never pull with fails late and far away; say so here.
      throw new ApiError(409, "license " + id + " is " + state.wireName() + ": pulls with it are refused");
    }
    return AdminResponse.ok(PullSecrets.secret(json, publicUrl, name, namespace, id.value(), key));
  }

  // ---- applications ----

  private AdminResponse listApplications() {
    ArrayNode list = json.createArrayNode();
    for (ApplicationConfig app : applications) {
      ObjectNode a = list.addObject().put("name", app.name());
      ArrayNode repos = a.putArray("repositories");
      for (RepositoryConfig r : app.repositories()) {
        ObjectNode ro = repos.addObject().put("name", r.name()).put("upstream", r.upstream())
            .put("repository", r.repository());
        r.tags().forEach(ro.putArray("tags")::add);
      }
      try {
        ArrayNode vs = a.putArray("versions");
        versions.versions(app).forEach(vs::add);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        a.putNull("versions");
        a.put("versionsError", "interrupted");
      } catch (Exception e) {
        a.putNull("versions");
        a.put("versionsError", "cannot list tags at the upstream: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
      }
    }
    ObjectNode out = json.createObjectNode();
    out.set("applications", list);
    return AdminResponse.ok(out);
  }

  // ---- plumbing ----

  private AdminResponse error(int status, String field, String message) {
    ObjectNode e = json.createObjectNode().put("error", message);
    if (field != null) {
      e.put("field", field);
    }
    return new AdminResponse(status, e);
  }

  private static AdminResponse notAllowed(String allowed) {
    throw new ApiError(405, "method not allowed; use " + allowed);
  }

  /** The path's segments after {@code /admin/v1/}, each percent-decoded ('+' stays '+'). */
  static List<String> segments(String path) {
    if (!path.startsWith(PREFIX)) {
      throw new ApiError(404, "no such admin resource");
    }
    String rest = path.substring(PREFIX.length());
    if (rest.endsWith("/")) {
      rest = rest.substring(0, rest.length() - 1);
    }
    if (rest.isEmpty()) {
      return List.of();
    }
    String[] raw = rest.split("/", -1);
    String[] out = new String[raw.length];
    for (int i = 0; i < raw.length; i++) {
      String s = raw[i];
      if (s.indexOf('%') >= 0) {
        try {
          s = URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
          throw new ApiError(400, "malformed percent-encoding in path");
        }
      }
      if (s.isEmpty()) {
        throw new ApiError(404, "no such admin resource");
      }
      out[i] = s;
    }
    return List.of(out);
  }
}
