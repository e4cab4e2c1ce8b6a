package io.turnstile.store;

import java.time.Instant;
import java.util.List;

/**
 * The vendor team's personal API tokens, kept in the store's database so that every replica accepts
 * them. Each replica holds the usable tokens in memory, by hash, and reloads them whenever the
 * change feed brings a token event: a token revoked on one replica is refused on the others as
 * soon as they follow the feed (within a second, like license edits). Creation and revocation are
 * events, so they are in the activity log.
 */
public interface ApiTokens {
  /** Longest a name may be. */
  int MAX_NAME = 64;

  /**
   * Makes a token; its secret is in the answer and nowhere else. Blocking.
   *
   * @param name letters, digits, {@code .}, {@code _} and {@code -}, 1 to {@value #MAX_NAME}
   * @param owner who it belongs to, as the activity log names them
   * @param role the admin API role label it carries; the caller decides whether its maker may give it
   * @param expiresAt when it stops working; must be in the future
   * @param actor who made it, for the activity log
   */
  IssuedApiToken create(String name, String owner, String role, Instant expiresAt, String actor);

  /** Every token, revoked ones too, newest first, with its last use as far as this replica knows. Blocking. */
  List<ApiToken> list();

  /** The token {@code id}; blocking. @throws NoSuchApiTokenException when there is none */
  ApiToken get(String id);

  /**
   * Revokes {@code id}: from the answer on, this replica refuses it. Revoking a revoked token
   * changes nothing. Blocking.
   */
  ApiToken revoke(String id, String actor);

  /**
   * The usable token whose secret is {@code secret}, or null when none is (unknown, revoked or
   * expired, by the store's clock); a use is noted for {@link ApiToken#lastUsedAt()}. Reads only
   * memory: safe on an event loop.
   */
  ApiToken authenticate(String secret);
}
