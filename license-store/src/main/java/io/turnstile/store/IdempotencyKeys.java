package io.turnstile.store;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Idempotency keys of admin writes, shared by every replica through the database. A key is
 * recorded in the same transaction as the first change its request makes, so it exists exactly when
 * that change was committed: a retry with the same key, on any replica, finds it and is never
 * applied again, even when the first request's answer was lost. Keys are per actor and kept for
 * {@link #RETENTION}.
 */
public interface IdempotencyKeys {
  /** How long a key is remembered. */
  Duration RETENTION = Duration.ofHours(24);

  /**
   * A recorded key.
   *
   * @param fingerprint the SHA-256 (hex) of the first request's method, path and body
   * @param status the first request's answer's status; null until it is recorded, just after the
   *     commit (or never, when the database went away in between)
   * @param response the first answer's JSON body, without its secret when it carried one; null
   *     when it had none or is not recorded
   * @param secretWithheld whether the first answer carried a secret (a license key, an API token),
   *     which is not kept and so cannot be answered again
   */
  record Recorded(String fingerprint, Integer status, String response, boolean secretWithheld) {}

  /** The key {@code key} of {@code actor}, when recorded within {@link #RETENTION}. */
  Optional<Recorded> find(String actor, String key);

  /**
   * Runs {@code call}, recording the key in the transaction of the first change it makes. When
   * another request recorded the same key first (another replica, a moment earlier), that change is
   * rolled back and {@link IdempotencyKeyUsedException} thrown: nothing of {@code call} is applied.
   *
   * @return what {@code call} returned, and whether it recorded the key (it changed something)
   */
  <T> Claimed<T> claiming(String actor, String key, String fingerprint, Supplier<T> call);

  /** What {@link #claiming} ran returned; {@code recorded} when its key was written with a change. */
  record Claimed<T>(T result, boolean recorded) {}

  /** Records the answer given to the request that recorded {@code key}. */
  void answer(String actor, String key, int status, String response, boolean secretWithheld);
}
