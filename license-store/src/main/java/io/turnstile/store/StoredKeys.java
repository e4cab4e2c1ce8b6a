package io.turnstile.store;

import java.util.List;
import java.util.function.Supplier;

/**
 * The signing keys of one {@link KeyPurpose} kept in the store, shared by every replica: one key
 * signs ({@link StoredSigningKey.State#ACTIVE}), others verify only, retired ones neither. A
 * rotation adds a key (it verifies only), activates it (the old signer verifies only), then
 * retires the old one; a change through one replica reaches the others as any write does. Every
 * change is recorded in the activity log. Writes are blocking: call them off the event loops.
 */
public interface StoredKeys {
  /** What these keys sign. */
  KeyPurpose purpose();

  /** Every key of this purpose, newest first; from memory, no database read. */
  List<StoredSigningKey> list();

  /**
   * Makes sure a key signs: when none does, {@code generate} makes one and it becomes the signer.
   * Of several replicas starting at once, exactly one generates; the others use its key.
   */
  List<StoredSigningKey> ensureSigner(Supplier<NewSigningKey> generate, String actor);

  /** Adds a key; it verifies only, unless no key signs yet. */
  StoredSigningKey add(NewSigningKey key, String actor);

  /** Makes {@code kid} the key that signs; the one before it verifies only. */
  StoredSigningKey activate(String kid, String actor);

  /**
   * Retires {@code kid}: what it signed stops verifying.
   *
   * @throws ConflictException when it is the key that signs
   */
  StoredSigningKey retire(String kid, String actor);
}
