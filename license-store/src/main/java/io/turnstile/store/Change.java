package io.turnstile.store;

import java.util.Objects;

/**
 * One field of a partial update: {@link Keep} leaves the value alone, {@link SetTo} replaces it,
 * {@link Clear} removes it (for a field that may be absent, such as an expiry).
 *
 * @param <T> the field's type
 */
public sealed interface Change<T> permits Change.Keep, Change.SetTo, Change.Clear {
  /** Leaves the value as it is. */
  record Keep<T>() implements Change<T> {}

  /** Replaces the value with {@code value}, never null. */
  record SetTo<T>(T value) implements Change<T> {
    public SetTo {
      Objects.requireNonNull(value, "value");
    }
  }

  /** Removes the value. */
  record Clear<T>() implements Change<T> {}

  static <T> Change<T> keep() {
    return new Keep<>();
  }

  static <T> Change<T> set(T value) {
    return new SetTo<>(value);
  }

  static <T> Change<T> clear() {
    return new Clear<>();
  }

  /** {@link #set} for a value, {@link #clear} for null: for fields where null means "none". */
  static <T> Change<T> setOrClear(T value) {
    return value == null ? clear() : set(value);
  }

  /** Whether this leaves the value alone. */
  default boolean keeps() {
    return this instanceof Keep;
  }

  /** The value after this change of {@code current}: {@code current}, the new value, or null. */
  default T applyTo(T current) {
    if (this instanceof SetTo<T> set) {
      return set.value();
    }
    return this instanceof Clear ? null : current;
  }
}
