package io.turnstile.proxy.limits;

import io.turnstile.config.ApplicationConfig;
import io.turnstile.config.LimitConfig;
import io.turnstile.config.LimitsConfig;
import io.turnstile.store.License;
import io.turnstile.store.LicenseId;
import io.turnstile.store.Usage;
import io.turnstile.store.UsageLimit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The limits in force for a license: its own ({@link Usage.LimitOverride}, from the store) where it
 * has one, else its application's ({@code applications[].limits}). The overrides are held in memory
 * and replaced as a whole by {@link #overrides(List)}, so the request path never reads the store.
 */
public final class LimitRules {
  /**
   * One limit in force.
   *
   * @param own whether the license's own (else its application's)
   */
  public record Rule(UsageLimit limit, long amount, boolean enforced, boolean own) {}

  private final Map<String, List<Rule>> byApplication = new HashMap<>();
  private volatile Map<LicenseId, Map<UsageLimit, Rule>> overrides = Map.of();

  public LimitRules(List<ApplicationConfig> applications) {
    for (ApplicationConfig app : applications) {
      List<Rule> rules = new ArrayList<>();
      LimitsConfig l = app.limits();
      add(rules, UsageLimit.MANIFEST_PULLS, l.manifestPullsPerDay());
      add(rules, UsageLimit.BLOB_BYTES, l.blobBytesPerMonth());
      add(rules, UsageLimit.ADDRESSES, l.addressesPerDay());
      if (!rules.isEmpty()) {
        byApplication.put(app.name(), List.copyOf(rules));
      }
    }
  }

  private static void add(List<Rule> rules, UsageLimit limit, LimitConfig c) {
    if (c != null) {
      rules.add(new Rule(limit, c.limit(), c.enforced(), false));
    }
  }

  /** Replaces the licenses' own limits with {@code all}. */
  public void overrides(List<Usage.LimitOverride> all) {
    Map<LicenseId, Map<UsageLimit, Rule>> next = new HashMap<>();
    for (Usage.LimitOverride o : all) {
      next.computeIfAbsent(o.license(), k -> new EnumMap<>(UsageLimit.class))
          .put(o.limit(), new Rule(o.limit(), o.amount(), o.enforced(), true));
    }
    overrides = next;
  }

  /** The limits in force for {@code license}, in {@link UsageLimit} order; empty when none. */
  public List<Rule> rules(License license) {
    List<Rule> app = byApplication.getOrDefault(license.application(), List.of());
    Map<UsageLimit, Rule> own = overrides.get(license.id());
    if (own == null) {
      return app;
    }
    List<Rule> out = new ArrayList<>();
    for (UsageLimit l : UsageLimit.values()) {
      Rule r = own.get(l);
      if (r == null) {
        r = app.stream().filter(a -> a.limit() == l).findFirst().orElse(null);
      }
      if (r != null) {
        out.add(r);
      }
    }
    return out;
  }

  /** The limit of kind {@code limit} in force for {@code license}, or null. */
  public Rule rule(License license, UsageLimit limit) {
    for (Rule r : rules(license)) {
      if (r.limit() == limit) {
        return r;
      }
    }
    return null;
  }
}
