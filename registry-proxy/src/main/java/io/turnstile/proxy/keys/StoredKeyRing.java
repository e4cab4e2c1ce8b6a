package io.turnstile.proxy.keys;

import io.turnstile.store.NewSigningKey;
import io.turnstile.store.StoredKeys;
import io.turnstile.store.StoredSigningKey;
import io.turnstile.store.StoredSigningKey.State;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The keys of one purpose kept in the store, as the signer uses them: the active key first (it
 * signs), then the verify-only keys; retired keys are left out. The store keeps its list in memory
 * and replaces it when a rotation reaches this replica (through any replica), so {@link #get} is
 * cheap: it rebuilds only when the list it sees is another object than last time.
 *
 * @param <T> the keys as the signer reads them, e.g. {@code SigningKeys} or {@code LicenseKeys}
 */
public final class StoredKeyRing<T> implements Supplier<T> {
  /** Makes a new key: its kid and PEM. */
  @FunctionalInterface
  public interface Generator {
    NewSigningKey generate() throws IOException;
  }

  /** Reads PEMs, the signing one first, into the keys the signer uses. */
  @FunctionalInterface
  public interface Reader<T> {
    T read(List<String> pems) throws IOException;
  }

  /** The store's key list last seen, and the keys built from it. */
  private record Built<T>(List<StoredSigningKey> from, T keys) {}

  private final StoredKeys store;
  private final Reader<T> reader;
  private volatile Built<T> built;

  private StoredKeyRing(StoredKeys store, Reader<T> reader) {
    this.store = store;
    this.reader = reader;
    List<StoredSigningKey> now = store.list();
    this.built = new Built<>(now, build(now));
  }

  /**
   * The keys kept in {@code store}; when none signs yet (a first start), {@code generate} makes one.
   * Blocking: call it at start, off the event loops.
   */
  public static <T> StoredKeyRing<T> open(StoredKeys store, Generator generate, Reader<T> reader) {
    store.ensureSigner(() -> {
      try {
        return generate.generate();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, "turnstile");
    return new StoredKeyRing<>(store, reader);
  }

  /** The keys in use now: the first signs, every one verifies. */
  @Override
  public T get() {
    List<StoredSigningKey> now = store.list();
    Built<T> b = built;
    if (b.from() != now) {
      // Two threads may both rebuild after a change; either result is the same.
      b = new Built<>(now, build(now));
      built = b;
    }
    return b.keys();
  }

  private T build(List<StoredSigningKey> stored) {
    List<String> pems = new ArrayList<>();
    stored.stream().filter(k -> k.state() == State.ACTIVE).forEach(k -> pems.add(k.pem()));
    if (pems.isEmpty()) {
      throw new IllegalStateException("the store holds no active " + store.purpose().noun());
    }
    stored.stream().filter(k -> k.state() == State.VERIFY).forEach(k -> pems.add(k.pem()));
    try {
      return reader.read(pems);
    } catch (IOException e) {
      throw new UncheckedIOException("a " + store.purpose().noun() + " in the store cannot be read: "
          + e.getMessage(), e);
    }
  }
}
