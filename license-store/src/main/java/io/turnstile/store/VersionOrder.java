package io.turnstile.store;

import java.util.Comparator;
import org.semver4j.Semver;

/**
 * Versions in release order: semantic versions (as tags spell them, {@code _} for {@code +}) by
 * semver's precedence, before the versions that are not semantic versions, which sort as text. Ties
 * in precedence (build metadata) break as text, so the order is total.
 */
public final class VersionOrder {
  /** Oldest first. */
  public static final Comparator<String> ASCENDING = (a, b) -> compare(a, b, false);
  /** How versions are listed to people: semantic versions newest first, then anything else in reverse text order. */
  public static final Comparator<String> NEWEST_FIRST = (a, b) -> compare(a, b, true);

  private VersionOrder() {}

  /** Semantic versions always come before the rest; {@code newestFirst} reverses the order within each part. */
  private static int compare(String a, String b, boolean newestFirst) {
    Semver x = TagVersions.semver(a);
    Semver y = TagVersions.semver(b);
    if (x != null && y != null) {
      int c = x.compareTo(y);
      c = c != 0 ? c : a.compareTo(b);
      return newestFirst ? -c : c;
    }
    if (x != null || y != null) {
      return x != null ? -1 : 1;
    }
    return newestFirst ? b.compareTo(a) : a.compareTo(b);
  }
}
