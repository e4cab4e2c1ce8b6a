package io.turnstile.proxy.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.turnstile.store.EntitlementFields;
import io.turnstile.store.Customer;
import io.turnstile.store.GrantKind;
import io.turnstile.store.IssuedKey;
import io.turnstile.store.License;
import io.turnstile.store.LicenseEvent;
import io.turnstile.store.VersionRange;
import java.time.Clock;
import java.util.List;

/**
 * How the admin API shows customers, licenses and new keys as JSON. A key appears only in the
 * answer that issues it; an upstream password never appears. A license lists its exact versions
 * under {@code versions}, as it always has, and every grant with its kind under {@code grants}:
 * {@code {"kind": "exact|range|all", "value": ..., "includePrerelease"?}}, and its entitlements,
 * set or default, typed, under {@code entitlements}.
 */
final class AdminViews {
  private final ObjectMapper json;
  private final Clock clock;
  private final java.util.function.Supplier<EntitlementFields> entitlements;

  /** @param entitlements every application's entitlement fields now (the store's snapshot) */
  AdminViews(ObjectMapper json, Clock clock, java.util.function.Supplier<EntitlementFields> entitlements) {
    this.json = json;
    this.clock = clock;
    this.entitlements = entitlements;
  }

  ObjectNode customer(Customer c) {
    return json.createObjectNode()
        .put("id", c.id().value())
        .put("name", c.name())
        .put("createdAt", c.createdAt().toString());
  }

  ObjectNode issuedKey(IssuedKey k) {
    return json.createObjectNode().put("username", k.username()).put("key", k.key()).put("keyId", k.keyId());
  }

  ObjectNode license(License l, List<LicenseEvent> history) {
    ObjectNode v = json.createObjectNode()
        .put("id", l.id().value())
        .put("username", l.id().value())
        .put("name", l.name())
        .put("customerId", l.customerId().value())
        .put("application", l.application());
    ArrayNode versionList = v.putArray("versions");
    l.versions().forEach(versionList::add);
    ArrayNode grants = v.putArray("grants");
    l.versions().forEach(version -> grants.addObject().put("kind", GrantKind.EXACT.wireName()).put("value", version));
    for (VersionRange r : l.ranges()) {
      ObjectNode g = grants.addObject().put("kind", r.kind().wireName()).put("value", r.expression());
      if (r.kind() == GrantKind.RANGE) {
        g.put("includePrerelease", r.includePrerelease());
      }
    }
    v.put("keepReleasedBeforeExpiry", l.keepReleasedBeforeExpiry());
    // Every field with a value, set or default, typed: what the license file carries.
    v.set("entitlements", json.valueToTree(entitlements.get().values(l.application(), l.entitlements())));
    v.put("expiresAt", l.expiresAt() == null ? null : l.expiresAt().toString());
    v.put("state", l.state(clock.instant()).wireName());
    v.put("revokedAt", l.revokedAt() == null ? null : l.revokedAt().toString());
    if (l.upstreamCredentials() == null) {
      v.putNull("upstreamCredentials");
    } else {
      v.putObject("upstreamCredentials").put("username", l.upstreamCredentials().username());
    }
    v.put("createdAt", l.createdAt().toString());
    v.put("updatedAt", l.updatedAt().toString());
    if (history != null) {
      ArrayNode h = v.putArray("history");
      for (LicenseEvent e : history) {
        h.addObject().put("at", e.at().toString()).put("actor", e.actor()).put("action", e.action())
            .put("detail", e.detail());
      }
    }
    return v;
  }
}
