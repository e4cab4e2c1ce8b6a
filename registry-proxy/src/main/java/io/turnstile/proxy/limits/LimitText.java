package io.turnstile.proxy.limits;

import io.turnstile.store.License;
import io.turnstile.store.UsageLimit;

/**
 * Fair-use limits in words: a refusal (the license, the limit and when it resets, as docker and Helm
 * show it) and the amounts and names the console and the portal show.
 */
public final class LimitText {
  private LimitText() {}

  static String refusal(License license, LimitRules.Rule r, Periods periods) {
    String resets = "; it resets on " + periods.resetsOn(r.limit());
    String period = periods.named(r.limit());
    return switch (r.limit()) {
      case MANIFEST_PULLS -> "license " + license.id() + " has made its " + r.amount() + " manifest pulls for "
          + period + resets;
      case BLOB_BYTES -> "license " + license.id() + " has used its " + size(r.amount()) + " for " + period + resets;
      case ADDRESSES -> "license " + license.id() + " has been used from its " + r.amount()
          + " client addresses for " + period + resets;
    };
  }

  /** An amount of {@code limit}: a size for bytes ({@code 50 GiB}), else the count. */
  public static String amount(UsageLimit limit, long n) {
    return limit == UsageLimit.BLOB_BYTES ? roughSize(n) : Long.toString(n);
  }

  /** {@code bytes} in the largest binary unit that keeps it whole, e.g. {@code 50 GiB}. */
  static String size(long bytes) {
    String[] units = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    long n = bytes;
    while (u < units.length - 1 && n >= 1024 && n % 1024 == 0) {
      n /= 1024;
      u++;
    }
    return n + " " + units[u];
  }

  /** {@code bytes} to one decimal in the largest unit under 1024 of it, e.g. {@code 1.5 GiB}. */
  static String roughSize(long bytes) {
    String[] units = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    if (bytes < 1024) {
      return bytes + " bytes";
    }
    double n = bytes;
    int u = 0;
    while (u < units.length - 1 && n >= 1024) {
      n /= 1024;
      u++;
    }
    return String.format(java.util.Locale.ROOT, n == Math.rint(n) ? "%.0f %s" : "%.1f %s", n, units[u]);
  }

  /** What {@code limit} counts, as a person reads it, e.g. {@code manifest pulls per day}. */
  public static String label(UsageLimit limit) {
    return switch (limit) {
      case MANIFEST_PULLS -> "manifest pulls per day";
      case BLOB_BYTES -> "blob bytes per month";
      case ADDRESSES -> "client addresses per day";
    };
  }
}
