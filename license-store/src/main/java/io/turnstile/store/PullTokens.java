package io.turnstile.store;

import java.time.Instant;
import java.util.List;

/**
 * Pull tokens: named credentials of one license that a customer makes for each cluster or CI
 * system ({@code docker login -u <license id> -p tpt_...}). A token grants exactly what its license
 * grants, never more, and stops when it is revoked, when it expires, or when its license is revoked
 * or expired (as the license's own key would). Only its SHA-256 is stored; the secret is in the
 * answer of {@link #create} or {@link #rotate} and nowhere else.
 *
 * <p>Tokens are part of the {@link Snapshot}: creation and revocation are events of the license's
 * customer, so every replica follows them through the change feed, as it follows keys. Uses are
 * noted in memory and written in batches.
 */
public interface PullTokens {
  /** Most tokens a license may hold that are neither revoked nor expired. */
  int MAX_PER_LICENSE = 20;
  /** Longest a name may be. */
  int MAX_NAME = 64;

  /**
   * Makes a token for {@code license}. Blocking.
   *
   * @param name letters, digits, {@code .}, {@code _} and {@code -}, 1 to {@value #MAX_NAME}; unique
   *     among the license's live tokens
   * @param expiresAt when it stops working, in the future; null: when the license does
   * @throws InvalidInputException for a bad name or expiry, a name in use, or a license already
   *     holding {@value #MAX_PER_LICENSE} live tokens
   * @throws NoSuchLicenseException when the license is unknown, or revoked
   */
  IssuedPullToken create(LicenseId license, String name, Instant expiresAt, String actor);

  /** The license's tokens that are not revoked, oldest first, with their last use. From memory. */
  List<PullToken> list(LicenseId license);

  /** Revokes the license's token {@code tokenId}. Blocking. @throws NoSuchPullTokenException when it has none live */
  PullToken revoke(LicenseId license, String tokenId, String actor);

  /**
   * Revokes {@code tokenId} and makes a new token with its name and expiry, in one transaction: for a
   * leaked token. Blocking.
   */
  IssuedPullToken rotate(LicenseId license, String tokenId, String actor);
}
