package io.turnstile.store;

import java.time.Instant;

/**
 * A personal API token as the store lists it: never the token itself, which only {@link
 * IssuedApiToken} carries, once.
 *
 * @param id the token's id ({@code at_...}), for listing and revoking
 * @param name what its owner called it: letters, digits, {@code .}, {@code _} and {@code -}
 * @param owner who made it, as the activity log names people ({@code admin-token} for the
 *     break-glass token)
 * @param role the admin API role label it carries ({@code viewer}, {@code editor}, {@code admin})
 * @param revokedAt null while not revoked
 * @param lastUsedAt null when never used; written in batches, so it may trail a use by seconds
 */
public record ApiToken(String id, String name, String owner, String role, Instant createdAt, Instant expiresAt,
    Instant revokedAt, Instant lastUsedAt) {
  /** Whether the token is accepted at {@code now}: neither revoked nor expired. */
  public boolean usableAt(Instant now) {
    return revokedAt == null && now.isBefore(expiresAt);
  }

  /** The same token, last used at {@code at} when that is later than what it knows. */
  public ApiToken usedAt(Instant at) {
    if (at == null || (lastUsedAt != null && !at.isAfter(lastUsedAt))) {
      return this;
    }
    return new ApiToken(id, name, owner, role, createdAt, expiresAt, revokedAt, at);
  }
}
