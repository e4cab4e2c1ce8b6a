package io.turnstile.config;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;

/**
 * One fair-use limit: how much a license may use in a period, and whether going past it is
 * refused or only watched.
 *
 * @param limit the amount per period: a count, or for bytes a size such as {@code 50GiB}; at least 1
 * @param mode {@code enforce} (default): once the amount is used, new pulls are answered {@code 429}
 *     until the period ends; {@code watch}: never refused, only warned about (events and metrics)
 */
public record LimitConfig(@JsonDeserialize(using = ByteSizes.Deserializer.class) Long limit, String mode) {
  /** The mode that refuses. */
  public static final String ENFORCE = "enforce";
  /** The mode that only warns. */
  public static final String WATCH = "watch";

  public LimitConfig {
    Check.required("limit", limit);
    if (limit < 1) {
      throw new InvalidValueException("limit", "must be at least 1");
    }
    mode = mode == null ? ENFORCE : mode;
    if (!mode.equals(ENFORCE) && !mode.equals(WATCH)) {
      throw new InvalidValueException("mode", "'" + mode + "' is neither enforce nor watch");
    }
  }

  /** Whether going past the limit is refused. */
  public boolean enforced() {
    return ENFORCE.equals(mode);
  }
}
