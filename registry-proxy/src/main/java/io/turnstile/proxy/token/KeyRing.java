package io.turnstile.proxy.token;

import io.turnstile.proxy.keys.StoredKeyRing;
import io.turnstile.store.KeyPurpose;
import io.turnstile.store.LicenseStore;

/**
 * Where the token signing keys come from now: PEM files read at start ({@code token.keySource:
 * files}, the default; shared by replicas through one file, e.g. a Kubernetes Secret), or the
 * license store ({@code store}), where replicas share them with nothing to mount, the first to
 * start generates one, and a rotation made through any replica reaches all of them at once.
 */
public interface KeyRing {
  /** The keys in use: the first signs, every one verifies. Cheap; the same object while unchanged. */
  SigningKeys current();

  /** Keys that never change while running. */
  static KeyRing fixed(SigningKeys keys) {
    return () -> keys;
  }

  /**
   * Keys kept in {@code store}: the active key signs, active and verify-only keys verify, retired
   * ones neither. When the store has no key yet, one is generated with {@code algorithm}.
   */
  static KeyRing fromStore(LicenseStore store, String algorithm) {
    StoredKeyRing<SigningKeys> ring = StoredKeyRing.open(store.keys(KeyPurpose.TOKEN),
        () -> SigningKeys.generateForStore(algorithm), SigningKeys::fromPem);
    return ring::get;
  }
}
