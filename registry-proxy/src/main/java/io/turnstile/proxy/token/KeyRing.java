package io.turnstile.proxy.token;

import io.turnstile.store.LicenseStore;
import io.turnstile.store.StoredSigningKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

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
    store.ensureSigningKey(() -> {
      try {
        return SigningKeys.generateForStore(algorithm);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, "turnstile");
    return new KeyRing() {
      /** The store's key list last seen, and the keys built from it. */
      private record Built(List<StoredSigningKey> from, SigningKeys keys) {}

      private volatile Built built = new Built(store.signingKeys(), build(store.signingKeys()));

      @Override
      public SigningKeys current() {
        List<StoredSigningKey> now = store.signingKeys();
        Built b = built;
        if (b.from() != now) {
          // Two threads may both rebuild after a change; either result is the same.
          b = new Built(now, build(now));
          built = b;
        }
        return b.keys();
      }
    };
  }

  private static SigningKeys build(List<StoredSigningKey> stored) {
    List<String> pems = new ArrayList<>();
    stored.stream().filter(k -> k.state() == StoredSigningKey.State.ACTIVE).forEach(k -> pems.add(k.pem()));
    stored.stream().filter(k -> k.state() == StoredSigningKey.State.VERIFY).forEach(k -> pems.add(k.pem()));
    if (pems.isEmpty() || stored.stream().noneMatch(k -> k.state() == StoredSigningKey.State.ACTIVE)) {
      throw new IllegalStateException("the store holds no active signing key");
    }
    try {
      return SigningKeys.fromPem(pems);
    } catch (IOException e) {
      throw new UncheckedIOException("a signing key in the store cannot be read: " + e.getMessage(), e);
    }
  }
}
