package io.turnstile.proxy.admin;

import io.turnstile.store.TagVersions;
import java.util.Comparator;
import org.semver4j.Semver;

/**
 * Versions in release order: semantic versions by semver's precedence, before the versions that are
 * not semantic versions, which sort as text. Ties in precedence (build metadata) break as text, so
 * the order is total.
 */
public final class VersionOrder {
  /** Oldest first. */
  public static final Comparator<String> ASCENDING = VersionOrder::compare;

  private VersionOrder() {}

  private static int compare(String a, String b) {
    Semver x = TagVersions.semver(a);
    Semver y = TagVersions.semver(b);
    if (x != null && y != null) {
      int c = x.compareTo(y);
      return c != 0 ? c : a.compareTo(b);
    }
    if (x != null || y != null) {
      return x != null ? -1 : 1;
    }
    return a.compareTo(b);
  }
}
