package io.turnstile.store;

/**
 * A range to grant, as a caller writes it: checked and parsed by the store into a {@link
 * VersionRange}.
 *
 * @param expression npm range syntax, or {@code *} for every version
 * @param includePrerelease whether pre-releases inside the range are granted; default false
 */
public record RangeGrant(String expression, boolean includePrerelease) {
  public static RangeGrant of(String expression) {
    return new RangeGrant(expression, false);
  }
}
