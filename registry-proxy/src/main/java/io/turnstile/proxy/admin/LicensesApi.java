package io.turnstile.proxy.admin;

import static io.turnstile.store.InvalidInputException.quoted;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.turnstile.proxy.licensing.LicenseFiles;
import io.turnstile.proxy.oci.PullSecrets;
import io.turnstile.store.Access;
import io.turnstile.store.AuthResult;
import io.turnstile.store.Change;
import io.turnstile.store.CustomerId;
import io.turnstile.store.IssuedKey;
import io.turnstile.store.License;
import io.turnstile.store.LicenseId;
import io.turnstile.store.LicensePatch;
import io.turnstile.store.LicenseState;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.NewLicense;
import io.turnstile.store.Refusal;
import io.turnstile.store.UpstreamCredentials;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code /admin/v1/licenses}: creating, listing, changing and revoking licenses, granting and
 * revoking their versions and ranges, rotating their keys, and rendering a Kubernetes pull secret.
 * A license key appears only in the answers that create one (a new license, a rotated key); an
 * upstream password never does. A pull secret is rendered only for the license's current key and
 * only while the license grants something, so that a secret that can never pull is refused here
 * rather than failing later in kubelet.
 */
final class LicensesApi {
  private static final Set<String> CREDENTIAL_FIELDS = Set.of("username", "password");

  private final LicenseStore store;
  private final AdminViews views;
  private final PullsApi pulls;
  private final URI publicUrl;
  private final ObjectMapper json;
  private final Clock clock;
  private final LicenseFiles files;

  LicensesApi(LicenseStore store, AdminViews views, PullsApi pulls, URI publicUrl, ObjectMapper json, Clock clock,
      LicenseFiles files) {
    this.files = files;
    this.store = store;
    this.views = views;
    this.pulls = pulls;
    this.publicUrl = publicUrl;
    this.json = json;
    this.clock = clock;
  }

  /** Serves a call whose path segments {@code p} start with {@code licenses}. */
  AdminResponse route(String method, List<String> p, Map<String, List<String>> query, byte[] body, String actor) {
    int n = p.size();
    if (n == 1) {
      return switch (method) {
        case "POST" -> create(body, actor);
        case "GET" -> list(query);
        default -> throw ApiError.notAllowed("GET, POST");
      };
    }
    LicenseId id = new LicenseId(p.get(1));
    if (n == 2) {
      return switch (method) {
        case "GET" -> AdminResponse.ok(views.license(store.license(id), store.history(id))
            .set("pulls", pulls.summary(id)));
        case "PATCH" -> update(id, body, actor);
        case "DELETE" -> AdminResponse.ok(views.license(store.revokeLicense(id, actor), null));
        default -> throw ApiError.notAllowed("GET, PATCH, DELETE");
      };
    }
    switch (p.get(2)) {
      case "versions" -> {
        if (n == 3) {
          if (!method.equals("POST")) throw ApiError.notAllowed("POST");
          JsonBody b = JsonBody.parse(json, body, Set.of("versions"));
          return AdminResponse.ok(views.license(store.grantVersions(id, b.strings("versions", true), actor), null));
        }
        if (n == 4) {
          if (!method.equals("DELETE")) throw ApiError.notAllowed("DELETE");
          return AdminResponse.ok(views.license(store.revokeVersion(id, p.get(3), actor), null));
        }
      }
      case "ranges" -> {
        if (n == 3) {
          if (!method.equals("POST")) throw ApiError.notAllowed("POST");
          JsonBody b = JsonBody.parse(json, body, Set.of("ranges"));
          return AdminResponse.ok(views.license(store.grantRanges(id, b.ranges("ranges", true), actor), null));
        }
        if (n == 4) {
          if (!method.equals("DELETE")) throw ApiError.notAllowed("DELETE");
          return AdminResponse.ok(views.license(store.revokeRange(id, p.get(3), actor), null));
        }
      }
      case "move" -> {
        if (n == 3) {
          if (!method.equals("POST")) throw ApiError.notAllowed("POST");
          JsonBody b = JsonBody.parse(json, body, Set.of("customerId"));
          CustomerId to = new CustomerId(b.text("customerId", true));
          return AdminResponse.ok(views.license(store.moveLicense(id, to, actor), null));
        }
      }
      case "key" -> {
        if (n == 3) {
          if (!method.equals("POST")) throw ApiError.notAllowed("POST");
          return AdminResponse.created(views.issuedKey(store.rotateKey(id, actor)));
        }
      }
      case "pull-tokens" -> {
        // The customer makes them in the portal; the vendor sees them and can revoke one.
        if (n == 3) {
          if (!method.equals("GET")) throw ApiError.notAllowed("GET");
          store.license(id);
          return AdminResponse.ok(pullTokens(store.pullTokens().list(id)));
        }
        if (n == 4) {
          if (!method.equals("DELETE")) throw ApiError.notAllowed("DELETE");
          return AdminResponse.ok(pullToken(json.createObjectNode(), store.pullTokens().revoke(id, p.get(3), actor)));
        }
      }
      case "file" -> {
        if (n == 3) {
          if (!method.equals("GET")) throw ApiError.notAllowed("GET");
          return file(id);
        }
      }
      case "pull-secret" -> {
        if (n == 3) {
          if (!method.equals("POST")) {
            throw ApiError.notAllowed("POST (send the license key in a JSON body: {\"key\": \"tsk_...\"})");
          }
          return pullSecret(id, body);
        }
      }
      default -> { }
    }
    throw new ApiError(404, "no such admin resource");
  }

  /** {@code {"pullTokens": [...]}}: never a secret, which only the portal shows, once. */
  private com.fasterxml.jackson.databind.node.ObjectNode pullTokens(List<io.turnstile.store.PullToken> tokens) {
    var out = json.createObjectNode();
    var list = out.putArray("pullTokens");
    tokens.forEach(t -> pullToken(list.addObject(), t));
    return out;
  }

  private static com.fasterxml.jackson.databind.node.ObjectNode pullToken(
      com.fasterxml.jackson.databind.node.ObjectNode o, io.turnstile.store.PullToken t) {
    return o.put("id", t.id()).put("name", t.name()).put("licenseId", t.licenseId().value())
        .put("createdAt", t.createdAt().toString())
        .put("expiresAt", t.expiresAt() == null ? null : t.expiresAt().toString())
        .put("revokedAt", t.revokedAt() == null ? null : t.revokedAt().toString())
        .put("lastUsedAt", t.lastUsedAt() == null ? null : t.lastUsedAt().toString());
  }

  private AdminResponse create(byte[] body, String actor) {
    JsonBody b = JsonBody.parse(json, body, Set.of("name", "customerId", "application", "expiresAt", "versions",
        "ranges", "keepReleasedBeforeExpiry", "upstreamCredentials", "entitlements"));
    Boolean keep = b.bool("keepReleasedBeforeExpiry");
    NewLicense request = new NewLicense(
        b.text("name", false),
        new CustomerId(b.text("customerId", true)),
        b.text("application", true),
        b.instant("expiresAt"),
        b.strings("versions", false),
        b.ranges("ranges", false),
        keep != null && keep,
        credentials(b.object("upstreamCredentials", CREDENTIAL_FIELDS)),
        b.entitlements("entitlements"));
    IssuedKey key = store.createLicense(request, actor);
    License license = store.license(new LicenseId(key.username()));
    ObjectNode view = views.license(license, null);
    view.put("key", key.key());
    return AdminResponse.created(view);
  }

  private AdminResponse list(Map<String, List<String>> query) {
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

  private AdminResponse update(LicenseId id, byte[] body, String actor) {
    JsonBody b = JsonBody.parse(json, body, Set.of("name", "expiresAt", "upstreamCredentials", "keepReleasedBeforeExpiry",
        "entitlements"));
    Change<String> name = b.has("name") ? Change.set(b.text("name", true)) : Change.keep();
    Change<Instant> expiresAt = b.has("expiresAt") ? Change.setOrClear(b.instant("expiresAt")) : Change.keep();
    Change<UpstreamCredentials> creds = b.has("upstreamCredentials")
        ? Change.setOrClear(credentials(b.object("upstreamCredentials", CREDENTIAL_FIELDS)))
        : Change.keep();
    Change<Boolean> keep = b.has("keepReleasedBeforeExpiry") ? Change.setOrClear(b.bool("keepReleasedBeforeExpiry"))
        : Change.keep();
    Map<String, String> entitlements = b.entitlements("entitlements");
    Change<Map<String, String>> values = entitlements == null ? Change.keep() : Change.set(entitlements);
    return AdminResponse.ok(views.license(store.update(id, new LicensePatch(name, expiresAt, creds, keep, values), actor),
        null));
  }

  /**
   * The license file, made from the license as it is now (so one fetched after an edit carries it),
   * as {@code application/jwt}. A revoked license has none: 409.
   */
  private AdminResponse file(LicenseId id) {
    License license = store.license(id);
    if (license.revokedAt() != null) {
      throw new ApiError(409, "license " + id + " is revoked: it has no license file");
    }
    byte[] jws = files.issue(license, store.customer(license.customerId())).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    return AdminResponse.streamed(new StreamedBody() {
      @Override
      public String contentType() {
        return LicenseFiles.MEDIA_TYPE;
      }

      @Override
      public void writeTo(Sink out) throws java.io.IOException {
        out.write(jws);
      }
    });
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
        || (auth instanceof Refusal r && r.reason() != Refusal.Reason.BAD_CREDENTIALS);
    if (!keyMatches) {
      throw ApiError.badRequest("key", "is not the current key of license " + id);
    }
    String name = b.text("name", false);
    if (name == null) {
      name = "turnstile-" + license.id().value().replace('_', '-');
    } else if (!name.matches("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")) {
      throw ApiError.badRequest("name", quoted(name) + " is not a valid Kubernetes object name");
    }
    String namespace = b.text("namespace", false);
    if (namespace != null && !namespace.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
      throw ApiError.badRequest("namespace", quoted(namespace) + " is not a valid Kubernetes namespace");
    }
    LicenseState state = license.state(now);
    if (!license.grantsAnythingAt(now)) {
      // A secret that kubelet can never pull with fails late and far away; say so here.
      throw new ApiError(409, "license " + id + " is " + state.wireName() + ": pulls with it are refused");
    }
    return AdminResponse.ok(PullSecrets.secret(json, publicUrl, name, namespace, id.value(), key));
  }
}
