package io.turnstile.proxy.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.turnstile.config.ByteSizes;
import io.turnstile.config.LimitConfig;
import io.turnstile.proxy.limits.LimitRules;
import io.turnstile.proxy.limits.UsageMeter;
import io.turnstile.store.License;
import io.turnstile.store.LicenseId;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.Usage;
import io.turnstile.store.UsageLimit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A license's fair-use use and limits: {@code GET /admin/v1/licenses/{id}/usage}, {@code PUT} and
 * {@code DELETE /admin/v1/licenses/{id}/limits/{limit}} for its own limits, and {@code GET
 * /admin/v1/fleet/address-jumps}: the licenses whose distinct client addresses today jumped, with
 * those addresses and their user agents (the sign of a shared key).
 */
final class LimitsApi {
  /** Fewest addresses today that a jump is reported for, unless {@code ?min=} says otherwise. */
  static final int DEFAULT_JUMP_MIN = 3;

  private final LicenseStore store;
  private final UsageMeter usage;
  private final ObjectMapper json;

  LimitsApi(LicenseStore store, UsageMeter usage, ObjectMapper json) {
    this.store = store;
    this.usage = usage;
    this.json = json;
  }

  /** Whether {@code p} (licenses/{id}/...) is one of these routes. */
  static boolean handles(List<String> p) {
    return p.size() == 3 && p.get(2).equals("usage") || p.size() == 4 && p.get(2).equals("limits");
  }

  AdminResponse route(String method, List<String> p, byte[] body, String actor) {
    License license = store.license(new LicenseId(p.get(1)));
    if (p.size() == 3) {
      if (!method.equals("GET")) throw ApiError.notAllowed("GET");
      return AdminResponse.ok(usage(license));
    }
    UsageLimit limit = UsageLimit.byApiName(p.get(3)).orElseThrow(() -> new ApiError(404,
        "no limit named " + p.get(3) + " (expected manifestPullsPerDay, blobBytesPerMonth or addressesPerDay)"));
    return switch (method) {
      case "PUT" -> {
        JsonBody b = JsonBody.parse(json, body, Set.of("limit", "mode"));
        long amount = amount(b.node("limit"));
        String mode = b.text("mode", false);
        boolean enforced;
        try {
          enforced = new LimitConfig(amount, mode).enforced();
        } catch (IllegalArgumentException e) {
          throw ApiError.badRequest("mode", "'" + mode + "' is neither enforce nor watch");
        }
        store.usage().setOverride(license.id(), limit, amount, enforced, actor);
        usage.rules().overrides(store.usage().overrides());
        yield AdminResponse.ok(usage(store.license(license.id())));
      }
      case "DELETE" -> {
        if (!store.usage().clearOverride(license.id(), limit, actor)) {
          throw new ApiError(404, "license " + license.id() + " has no " + limit.apiName() + " of its own");
        }
        usage.rules().overrides(store.usage().overrides());
        yield AdminResponse.noContent();
      }
      default -> throw ApiError.notAllowed("PUT, DELETE");
    };
  }

  private static long amount(JsonNode n) {
    if (n == null || n.isNull()) {
      throw ApiError.badRequest("limit", "is required");
    }
    long amount;
    if (n.isIntegralNumber() && n.canConvertToLong()) {
      amount = n.longValue();
    } else if (n.isTextual()) {
      try {
        amount = ByteSizes.parse(n.textValue());
      } catch (IllegalArgumentException e) {
        throw ApiError.badRequest("limit", e.getMessage());
      }
    } else {
      throw ApiError.badRequest("limit", "must be a whole number or a size such as 50GiB");
    }
    if (amount < 1) {
      throw ApiError.badRequest("limit", "must be at least 1");
    }
    return amount;
  }

  /** The license's limits in force, each with its use in the current period. */
  ObjectNode usage(License license) {
    ObjectNode out = json.createObjectNode().put("licenseId", license.id().value());
    ArrayNode limits = out.putArray("limits");
    boolean addresses = false;
    for (UsageMeter.Use u : usage.uses(license)) {
      LimitRules.Rule r = u.rule();
      limits.addObject().put("limit", r.limit().apiName()).put("amount", r.amount())
          .put("mode", r.enforced() ? "enforce" : "watch").put("source", r.own() ? "license" : "application")
          .put("period", u.period()).put("used", u.used()).put("resetsOn", u.resetsOn().toString());
      addresses |= r.limit() == UsageLimit.ADDRESSES;
    }
    if (addresses) {
      addresses(out.putArray("addresses"), store.usage().addresses(license.id(), usage.periods().today()));
    }
    return out;
  }

  private static void addresses(ArrayNode into, List<Usage.Address> list) {
    for (Usage.Address a : list) {
      ObjectNode o = into.addObject().put("address", a.address()).put("firstSeen", a.firstAt().toString());
      if (a.userAgent() == null) {
        o.putNull("userAgent");
      } else {
        o.put("userAgent", a.userAgent());
      }
    }
  }

  /**
   * The licenses whose distinct client addresses today are at least {@code min} and at least twice
   * yesterday's, most first; addresses are counted for licenses with an {@code addressesPerDay}
   * limit (watch mode only watches).
   */
  AdminResponse addressJumps(Map<String, List<String>> query) {
    int min = DEFAULT_JUMP_MIN;
    List<String> given = query.getOrDefault("min", List.of());
    if (!given.isEmpty()) {
      try {
        min = Integer.parseInt(given.get(0));
      } catch (NumberFormatException e) {
        throw ApiError.badRequest("min", "must be a whole number");
      }
      if (min < 1) {
        throw ApiError.badRequest("min", "must be at least 1");
      }
    }
    String today = usage.periods().today();
    Map<LicenseId, Long> now = store.usage().addressCounts(today);
    Map<LicenseId, Long> before = store.usage().addressCounts(usage.periods().yesterday());
    List<Map.Entry<LicenseId, Long>> jumped = new ArrayList<>();
    for (Map.Entry<LicenseId, Long> e : now.entrySet()) {
      if (e.getValue() >= min && e.getValue() >= 2 * before.getOrDefault(e.getKey(), 0L)) {
        jumped.add(e);
      }
    }
    jumped.sort(Map.Entry.<LicenseId, Long>comparingByValue().reversed().thenComparing(e -> e.getKey().value()));
    ObjectNode out = json.createObjectNode().put("day", today).put("min", min);
    ArrayNode list = out.putArray("licenses");
    for (Map.Entry<LicenseId, Long> e : jumped) {
      License l = store.license(e.getKey());
      ObjectNode o = list.addObject().put("licenseId", l.id().value()).put("customerId", l.customerId().value())
          .put("application", l.application()).put("addressesToday", e.getValue())
          .put("addressesYesterday", before.getOrDefault(e.getKey(), 0L));
      LimitRules.Rule r = usage.rules().rule(l, UsageLimit.ADDRESSES);
      if (r != null) {
        o.put("limit", r.amount()).put("mode", r.enforced() ? "enforce" : "watch");
      }
      addresses(o.putArray("addresses"), store.usage().addresses(l.id(), today));
    }
    return AdminResponse.ok(out);
  }
}
