package io.turnstile.store;

import java.time.Instant;
import java.util.Collection;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Console and portal sessions kept in the store's database, so that every replica finds a session
 * made on another. A session is found by the SHA-256 of its id ({@link #hash}); the id itself never
 * reaches the database. Its CSRF token and its flashed values are sealed with the store's
 * encryption key, bound to the session. Ending a session is an event: every replica hears of it
 * through the change feed and forgets its copy ({@link #onEnded}), within a second, as for license
 * edits. The last use is written in batches, every few seconds.
 *
 * <p>Every method but {@link #seen} and {@link #hash} reads or writes the database: blocking.
 */
public interface WebSessions {
  /** Event actions about sessions; they name no customer. */
  String EVENT_PREFIX = "session.";

  /** A stored session that has not ended. */
  record Stored(String principal, String csrf, Instant createdAt, Instant lastSeenAt) {}

  /** The key a session is kept under: hex SHA-256 of its id. */
  static String hash(String id) {
    return Keys.hash(id);
  }

  /**
   * Keeps a new session of {@code area}. When {@code owner} already has {@code perOwner} live
   * sessions in that area, the least recently used ones end, on every replica, so that it keeps at
   * most {@code perOwner}. Sessions unused for a day are deleted.
   *
   * @param principal what the session stands for, as the area writes it; no secret
   * @param owner whose it is, as the area names it (for {@code perOwner})
   */
  void start(String area, String id, String csrf, String principal, String owner, int perOwner);

  /** The session {@code id} of {@code area} when it is kept and has not ended, or null. */
  Stored find(String area, String id);

  /** Notes a use; cheap, written in a later batch. */
  void seen(String id, Instant at);

  /**
   * Ends these sessions (ids); every replica forgets them within a second.
   *
   * @param actor who ended them, for the activity log
   * @param why in words, for the activity log ("signed out")
   */
  void end(Collection<String> ids, String actor, String why);

  /** Keeps {@code value} for the session's next page, sealed; a later value of the same name replaces it. */
  void flash(String id, String name, String value);

  /** The value flashed as {@code name}, now deleted, or null. */
  String take(String id, String name);

  /**
   * Calls {@code ended} with the hashes ({@link #hash}) of sessions that ended, on this replica or
   * another, once the change feed brings the news. It runs on the store's writer thread: it must
   * only forget what it holds.
   */
  LicenseStore.Subscription onEnded(Consumer<Set<String>> ended);
}
