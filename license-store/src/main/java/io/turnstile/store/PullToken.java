package io.turnstile.store;

import java.time.Instant;

/**
 * A pull token of one license, without its secret: what the portal and the console list.
 *
 * @param expiresAt when it stops working; null: when its license does
 * @param revokedAt when it was revoked; null while it is not
 * @param lastUsedAt its last login or registry request, as far as this replica knows; null when never used
 */
public record PullToken(String id, LicenseId licenseId, CustomerId customerId, String name, Instant createdAt,
    Instant expiresAt, Instant revokedAt, Instant lastUsedAt) {
  /** Whether it works at {@code now}, its license permitting: not revoked and not expired. */
  public boolean usableAt(Instant now) {
    return revokedAt == null && (expiresAt == null || now.isBefore(expiresAt));
  }

  /** The same token, last used at {@code at} when that is later than what it says. */
  public PullToken usedAt(Instant at) {
    return lastUsedAt != null && !at.isAfter(lastUsedAt) ? this
        : new PullToken(id, licenseId, customerId, name, createdAt, expiresAt, revokedAt, at);
  }
}
