package io.turnstile.store;

import java.util.Comparator;
import org.semver4j.Semver;

/** How versions are listed to people: semantic versions newest first, then anything else in reverse text order. */
public final class VersionOrder {
  /** Semantic versions newest first, then anything else in reverse text order. */
  public static final Comparator<String> NEWEST_FIRST = (a, b) -> {
    Semver sa = Semver.parse(a);
    Semver sb = Semver.parse(b);
    if (sa != null && sb != null) {
      int c = sb.compareTo(sa);
      return c != 0 ? c : b.compareTo(a);
    }
    if (sa != null || sb != null) {
      return sa != null ? -1 : 1;
    }
    return b.compareTo(a);
  };

  private VersionOrder() {}
}
