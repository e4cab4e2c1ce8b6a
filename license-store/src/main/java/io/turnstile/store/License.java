package io.turnstile.store;

import io.turnstile.config.Versions;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.semver4j.Semver;

/**
 * A license as the store holds it: one customer, one application, and what it grants of it: exact
 * versions, ranges of versions, or every version.
 *
 * @param versions the granted exact versions, sorted and distinct (kept as a compact list: a store
 *     holds hundreds of thousands of licenses in memory)
 * @param ranges the granted ranges ({@code *} among them, for every version), sorted by
 *     expression and distinct
 * @param keepReleasedBeforeExpiry whether, once expired, the license goes on granting the tags
 *     Turnstile saw before its expiry (and nothing seen later)
 * @param keyId changes whenever the key is rotated; refresh tokens carry it
 * @param upstreamCredentials the license's own upstream credentials, decrypted, or null. Never
 *     serialised to any API answer.
 * @param entitlements the entitlement values this license sets, by field name, each the canonical
 *     text of its field's type; fields it does not set take their defaults ({@link
 *     EntitlementFields#values})
 */
public record License(
    LicenseId id,
    CustomerId customerId,
    String name,
    String application,
    Instant expiresAt,
    Instant revokedAt,
    List<String> versions,
    List<VersionRange> ranges,
    boolean keepReleasedBeforeExpiry,
    String keyId,
    UpstreamCredentials upstreamCredentials,
    Instant createdAt,
    Instant updatedAt,
    Map<String, String> entitlements) {
  public License {
    versions = sortedDistinct(versions);
    ranges = sorted(ranges);
    entitlements = entitlements == null || entitlements.isEmpty() ? Map.of() : Map.copyOf(entitlements);
  }

  /** A license that sets no entitlement value. */
  public License(LicenseId id, CustomerId customerId, String name, String application, Instant expiresAt,
      Instant revokedAt, List<String> versions, List<VersionRange> ranges, boolean keepReleasedBeforeExpiry,
      String keyId, UpstreamCredentials upstreamCredentials, Instant createdAt, Instant updatedAt) {
    this(id, customerId, name, application, expiresAt, revokedAt, versions, ranges, keepReleasedBeforeExpiry, keyId,
        upstreamCredentials, createdAt, updatedAt, Map.of());
  }

  /** {@code versions} as an immutable list, sorted and distinct; sorted only when it is not yet. */
  private static List<String> sortedDistinct(List<String> versions) {
    for (int i = 1; i < versions.size(); i++) {
      if (versions.get(i - 1).compareTo(versions.get(i)) >= 0) {
        return List.copyOf(new TreeSet<>(versions));
      }
    }
    return List.copyOf(versions);
  }

  /** A license of exact versions only, never kept after expiry. */
  public License(LicenseId id, CustomerId customerId, String name, String application, Instant expiresAt,
      Instant revokedAt, List<String> versions, String keyId, UpstreamCredentials upstreamCredentials,
      Instant createdAt, Instant updatedAt) {
    this(id, customerId, name, application, expiresAt, revokedAt, versions, List.of(), false, keyId,
        upstreamCredentials, createdAt, updatedAt);
  }

  /**
   * Whether a granted version has the tag form {@code tagVersion}: the version itself, or, for a
   * version with build metadata, the version with '+' written as '_' (as Helm tags charts).
   */
  public boolean grantsTagForm(String tagVersion) {
    if (Collections.binarySearch(versions, tagVersion) >= 0) {
      return true;
    }
    if (tagVersion.indexOf('_') >= 0) {
      for (String v : versions) {
        if (v.indexOf('+') >= 0 && Versions.tagForm(v).equals(tagVersion)) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Whether this license grants a tag read back as {@code tag}: one of its candidate versions is a
   * granted exact version or inside a granted range.
   */
  public boolean grants(TagVersions.Parsed tag) {
    List<String> candidates = tag.candidates();
    for (int i = 0; i < candidates.size(); i++) {
      if (grantsTagForm(candidates.get(i))) {
        return true;
      }
      Semver semver = tag.semvers()[i];
      for (int r = 0; r < ranges.size(); r++) {
        if (ranges.get(r).matches(semver)) {
          return true;
        }
      }
    }
    return false;
  }

  private static List<VersionRange> sorted(List<VersionRange> ranges) {
    if (ranges.isEmpty()) {
      return List.of();
    }
    TreeMap<String, VersionRange> byExpression = new TreeMap<>();
    ranges.forEach(r -> byExpression.put(r.expression(), r));
    return List.copyOf(byExpression.values());
  }

  /** Whether this license grants by range: which tags it grants is known only from a tag list. */
  public boolean hasRanges() {
    return !ranges.isEmpty();
  }

  /** The state at {@code now}: revoked wins over expired. */
  public LicenseState state(Instant now) {
    if (revokedAt != null) {
      return LicenseState.REVOKED;
    }
    if (expiresAt != null && !now.isBefore(expiresAt)) {
      return LicenseState.EXPIRED;
    }
    return LicenseState.ACTIVE;
  }

  public boolean isValidAt(Instant now) {
    return state(now) == LicenseState.ACTIVE;
  }

  /**
   * Whether the license still grants something at {@code now}: valid, or expired and kept for the
   * versions released before its expiry.
   */
  public boolean grantsAnythingAt(Instant now) {
    LicenseState s = state(now);
    return s == LicenseState.ACTIVE || (s == LicenseState.EXPIRED && keepReleasedBeforeExpiry);
  }

  @Override
  public String toString() {
    return "License[id=" + id + ", customer=" + customerId + ", application=" + application
        + ", versions=" + versions + ", ranges=" + ranges + ", expiresAt=" + expiresAt
        + (keepReleasedBeforeExpiry ? " (keeps what was released before)" : "") + ", revokedAt=" + revokedAt + "]";
  }
}
