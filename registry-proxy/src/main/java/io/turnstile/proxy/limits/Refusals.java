package io.turnstile.proxy.limits;

import io.turnstile.store.License;
import io.turnstile.store.UsageLimit;

/** The words of a refusal: the license, the limit and when it resets, as docker and Helm show them. */
final class Refusals {
  private Refusals() {}

  static String message(License license, LimitRules.Rule r, Periods periods) {
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

  static String describe(UsageLimit limit) {
    return switch (limit) {
      case MANIFEST_PULLS -> "manifest pulls per day";
      case BLOB_BYTES -> "blob bytes per month";
      case ADDRESSES -> "client addresses per day";
    };
  }
}
