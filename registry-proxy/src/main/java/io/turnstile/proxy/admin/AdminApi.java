package io.turnstile.proxy.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.turnstile.config.ApplicationConfig;
import io.turnstile.proxy.licensing.LicenseFiles;
import io.turnstile.proxy.limits.LimitRules;
import io.turnstile.proxy.limits.Periods;
import io.turnstile.proxy.limits.UsageMeter;
import io.turnstile.config.RepositoryConfig;
import io.turnstile.config.TokenConfig;
import io.turnstile.config.WebhooksConfig;
import io.turnstile.proxy.webhooks.AddressPolicy;
import io.turnstile.store.ActivityLog;
import io.turnstile.store.ApiTokens;
import io.turnstile.store.ConflictException;
import io.turnstile.store.InvalidInputException;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.NoSuchApiTokenException;
import io.turnstile.store.NoSuchCustomerException;
import io.turnstile.store.NoSuchLicenseException;
import io.turnstile.store.NoSuchRangeException;
import io.turnstile.store.NoSuchVersionException;
import io.turnstile.store.NoSuchWebhookException;
import io.turnstile.store.StoreOutcomeUnknownException;
import io.turnstile.store.StoreUnavailableException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API's routes and their JSON, independent of the transport. Each call is one store
 * transaction; nothing here ever returns a license key except the responses that create one, and
 * never an upstream password. Applications are served here; customers by {@code CustomersApi};
 * licenses, signing keys and pulls by {@code LicensesApi}, {@code KeyRotationApi} (token and
 * license-signing keys) and {@code PullsApi}, API tokens and the
 * activity log by {@code ApiTokensApi} and {@code ActivityApi}. Every call's role is checked in
 * {@link #handle} by {@link Permissions}, and every failure of any of them becomes its answer there.
 * Changes are recorded under the caller's {@link Actor#recorded()} name, never one the client chose.
 */
public final class AdminApi {
  private static final Logger log = LoggerFactory.getLogger(AdminApi.class);
  static final String PREFIX = "/admin/v1/";
  /** The {@code code} of a {@code 503} that wrote nothing: the store's database is unreachable. */
  public static final String STORE_UNAVAILABLE = "STORE_UNAVAILABLE";
  /**
   * The {@code code} of a {@code 503} whose change may or may not have been applied (the database
   * went away during its commit): the caller reads the object back, or retries with the same
   * {@code Idempotency-Key}.
   */
  public static final String OUTCOME_UNKNOWN = "OUTCOME_UNKNOWN";

  private final LicenseStore store;
  private final List<ApplicationConfig> applications;
  private final VersionSource versions;
  private final ObjectMapper json;
  private final AdminViews views;
  private final KeyRotationApi signingKeys;
  private final KeyRotationApi licenseKeys;
  private final PullsApi pulls;
  private final CustomersApi customers;
  private final LicensesApi licenses;
  private final ApiTokensApi apiTokens;
  private final ActivityApi activity;
  private final FleetApi fleet;
  private final WebhooksApi webhooks;
  private final LimitsApi limits;
  private final EntitlementsApi entitlements;
  private final Idempotency idempotency;
  private final LicenseFiles files;

  /** An admin API whose webhook endpoints follow the default {@code webhooks} settings. */
  public AdminApi(LicenseStore store, List<ApplicationConfig> applications, VersionSource versions,
      URI publicUrl, TokenConfig tokens, ObjectMapper json, Clock clock) {
    this(store, applications, versions, publicUrl, tokens, WebhooksConfig.defaults(), json, clock);
  }

  /** An admin API whose license files are signed with a key made for this instance alone (tests). */
  public AdminApi(LicenseStore store, List<ApplicationConfig> applications, VersionSource versions,
      URI publicUrl, TokenConfig tokens, WebhooksConfig webhookConfig, ObjectMapper json, Clock clock) {
    this(store, applications, versions, publicUrl, tokens, webhookConfig, json, clock,
        LicenseFiles.ephemeral(() -> store.snapshot().entitlements(), clock),
        new UsageMeter(store.usage(), store.webhooks(), new LimitRules(applications), new Periods(clock), null, false));
  }

  /**
   * @param files signs license files, with the license-signing keys
   * @param usage the fair-use counts and limits, as the data plane keeps them
   */
  public AdminApi(LicenseStore store, List<ApplicationConfig> applications, VersionSource versions,
      URI publicUrl, TokenConfig tokens, WebhooksConfig webhookConfig, ObjectMapper json, Clock clock,
      LicenseFiles files, UsageMeter usage) {
    this.store = store;
    this.files = files;
    this.applications = List.copyOf(applications);
    this.versions = versions;
    this.json = json;
    this.views = new AdminViews(json, clock, () -> store.snapshot().entitlements());
    this.signingKeys = KeyRotationApi.tokenKeys(store, tokens, json);
    this.licenseKeys = KeyRotationApi.licenseKeys(store, files, json);
    this.pulls = new PullsApi(store.pulls(), json, clock);
    this.customers = new CustomersApi(store, views, pulls, json);
    this.licenses = new LicensesApi(store, views, pulls, publicUrl, json, clock, files);
    this.apiTokens = new ApiTokensApi(store.apiTokens(), json, clock);
    this.activity = new ActivityApi(store.activity(), json);
    this.fleet = new FleetApi(store, applications, json, clock);
    this.webhooks = new WebhooksApi(store.webhooks(), new AddressPolicy(webhookConfig), json);
    this.idempotency = new Idempotency(store.idempotencyKeys(), json);
    this.limits = new LimitsApi(store, usage, json);
    this.entitlements = new EntitlementsApi(store, json);
  }

  /**
   * Serves one call made by {@code actor} (from a verified credential); {@code path} is the raw path
   * without the query, {@code accept} the request's Accept header (null when absent). The admin
   * listener's handler and the console both come here, so every rule, the role first, is checked in
   * one place. A call the actor's role does not allow is {@code 403} naming the role it needs, in
   * {@code roleNeeded}.
   */
  public AdminResponse handle(String method, String path, Map<String, List<String>> query, byte[] body, Actor actor,
      String accept) {
    return handle(method, path, query, body, actor, accept, null);
  }

  /**
   * {@link #handle(String, String, Map, byte[], Actor, String)} with the request's {@code
   * Idempotency-Key} (null when absent): a write retried with the same key and body is applied at
   * most once, on any replica, and answered as the first time; see {@link Idempotency}.
   */
  public AdminResponse handle(String method, String path, Map<String, List<String>> query, byte[] body, Actor actor,
      String accept, String idempotencyKey) {
    try {
      List<String> p = segments(path);
      Role needed = Permissions.needed(method, p);
      if (!actor.role().includes(needed)) {
        ObjectNode refusal = json.createObjectNode().put("error", Permissions.refusal(actor, needed))
            .put("roleNeeded", needed.label());
        return new AdminResponse(403, refusal);
      }
      return idempotency.run(method, path, body, actor.recorded(), idempotencyKey,
          () -> !p.isEmpty() && p.get(0).equals("api-tokens")
              ? apiTokens.route(method, p, body, actor)
              : route(method, p, query, body, actor.recorded(), accept));
    } catch (ApiError e) {
      return error(e.status, e.field, e.getMessage());
    } catch (InvalidInputException e) {
      return error(400, e.field(), e.getMessage());
    } catch (NoSuchCustomerException | NoSuchLicenseException | NoSuchVersionException | NoSuchRangeException
        | NoSuchApiTokenException | NoSuchWebhookException | io.turnstile.store.NoSuchPullTokenException
        | io.turnstile.store.NoSuchApplicationException | io.turnstile.store.NoSuchEntitlementFieldException e) {
      return error(404, null, e.getMessage());
    } catch (ConflictException e) {
      return error(409, null, e.getMessage());
    } catch (StoreUnavailableException e) {
      log.warn("admin call {} {} by {} refused: {}", method, path, actor.recorded(), e.getMessage());
      return error(503, null, e.getMessage()).withCode(STORE_UNAVAILABLE);
    } catch (StoreOutcomeUnknownException e) {
      // The one answer that does not say whether the change happened: the log names the request,
      // so that an operator can match it to what the caller reads back.
      log.warn("admin call {} {} by {}: outcome unknown, the caller is told to read it back: {}", method, path,
          actor.recorded(), e.getMessage());
      return error(503, null, e.getMessage()).withCode(OUTCOME_UNKNOWN);
    } catch (RuntimeException e) {
      StoreUnavailableException down = StoreUnavailableException.of(e);
      if (down != null) {
        log.warn("admin call {} {} by {} refused: {}", method, path, actor.recorded(), down.getMessage());
        return error(503, null, down.getMessage()).withCode(STORE_UNAVAILABLE);
      }
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
        return customers.route(method, p, body, actor);
      }
      case "licenses" -> {
        return LimitsApi.handles(p) ? limits.route(method, p, body, actor) : licenses.route(method, p, query, body, actor);
      }
      case "signing-keys" -> {
        return signingKeys.route(method, p, actor);
      }
      case "pulls" -> {
        if (n == 1) {
          if (!method.equals("GET")) throw ApiError.notAllowed("GET");
          return pulls.list(query, accept);
        }
      }
      case "activity" -> {
        if (n == 1) {
          if (!method.equals("GET")) throw ApiError.notAllowed("GET");
          return activity.list(query, accept);
        }
      }
      case "fleet" -> {
        if (n == 2 && p.get(1).equals("address-jumps")) {
          if (!method.equals("GET")) throw ApiError.notAllowed("GET");
          return limits.addressJumps(query);
        }
        return fleet.route(method, p, query, accept);
      }
      case "webhooks" -> {
        return webhooks.route(method, p, query, body, actor);
      }
      case "applications" -> {
        if (n == 1) {
          if (!method.equals("GET")) throw ApiError.notAllowed("GET");
          return listApplications();
        }
        if (EntitlementsApi.handles(p)) {
          return entitlements.route(method, p, body, actor);
        }
      }
      case "license-keys" -> {
        return licenseKeys.route(method, p, actor);
      }
      default -> { }
    }
    throw new ApiError(404, "no such admin resource");
  }

  /**
   * Since when the store's database is known to be unreachable, or null while it answers: for the
   * console's banner. Pulls go on from the snapshot meanwhile; writes are refused.
   */
  public java.time.Instant storeUnreachableSince() {
    return store.stats().unreachableSince();
  }

  /** The store's API tokens, for the credentials the admin listener accepts. */
  ApiTokens apiTokenStore() {
    return store.apiTokens();
  }

  /**
   * Records a console sign-in, or a failed one, in the activity log. Blocking. A store that cannot
   * record it is logged, not thrown: signing in does not depend on it.
   *
   * @param actor who signed in, from the verified credential; null for a failed sign-in whose
   *     claimed identity was not verified (recorded as {@code unknown})
   * @param client the address it came from, or null
   * @param ok whether the sign-in succeeded
   * @param detail what else to record, e.g. the way of signing in or why it failed; never a secret
   */
  public void recordSignIn(Actor actor, InetAddress client, boolean ok, String detail) {
    String from = client == null ? "" : "from " + client.getHostAddress();
    String text = detail == null || detail.isBlank() ? from : from.isEmpty() ? detail : from + ": " + detail;
    try {
      store.activity().record(actor == null ? "unknown" : actor.recorded(),
          ActivityLog.SIGN_IN_PREFIX + (ok ? "succeeded" : "failed"), text);
    } catch (RuntimeException e) {
      log.warn("cannot record a console sign-in in the activity log: {}", e.getMessage());
    }
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
      app.endOfLife().forEach(a.putArray("endOfLife")::add);
      a.set("entitlements", entitlements.fields(app.name()));
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
