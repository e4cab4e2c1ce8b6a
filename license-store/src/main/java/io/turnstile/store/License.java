package io.turnstile.store;

import io.turnstile.config.Versions;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.TreeSet;

/**
 * A license as the store holds it: one customer, one application, a set of granted versions.
 *
 * @param versions the granted versions, sorted and distinct (kept as a compact list: a store holds
 *     hundreds of thousands of licenses in memory)
 * @param keyId changes whenever the key is rotated; refresh tokens carry it
 * @param upstreamCredentials the license's own upstream credentials, decrypted, or null. Never
 *     serialised to any API answer.
 */
public record License(
    LicenseId id,
    CustomerId customerId,
    String name,
    String application,
    Instant expiresAt,
    Instant revokedAt,
    List<String> versions,
    String keyId,
    UpstreamCredentials upstreamCredentials,
    Instant createdAt,
    Instant updatedAt) {
  public License {
    versions = List.copyOf(new TreeSet<>(versions));
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

  @Override
  public String toString() {
    return "License[id=" + id + ", customer=" + customerId + ", application=" + application
        + ", versions=" + versions + ", expiresAt=" + expiresAt + ", revokedAt=" + revokedAt + "]";
  }
}
