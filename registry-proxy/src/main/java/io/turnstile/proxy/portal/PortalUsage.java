package io.turnstile.proxy.portal;

import io.turnstile.proxy.limits.LimitText;
import io.turnstile.proxy.limits.UsageMeter;
import io.turnstile.store.License;
import io.turnstile.store.Snapshot;
import java.util.ArrayList;
import java.util.List;

/** The customer's own fair-use: each limit of their licenses with its use in the current period. */
public final class PortalUsage {
  /**
   * One limit of one license, in words.
   *
   * @param percent the use as a share of the limit, 0 to 100
   */
  public record Row(String licenseId, String application, String limit, String period, String used, String amount,
      boolean enforced, String resetsOn, int percent) {}

  private final UsageMeter meter;

  PortalUsage(UsageMeter meter) {
    this.meter = meter;
  }

  /** The rows of {@code user}'s licenses; empty when none has a limit. Blocking: reads the store. */
  List<Row> of(PortalUser user, Snapshot snapshot) {
    List<License> licenses = user.licenseId() != null
        ? List.of(snapshot.license(user.licenseId()))
        : snapshot.licensesOf(user.customerId());
    List<Row> rows = new ArrayList<>();
    for (License l : licenses) {
      if (l == null || meter.rules().rules(l).isEmpty()) {
        continue;
      }
      for (UsageMeter.Use u : meter.uses(l)) {
        long amount = u.rule().amount();
        rows.add(new Row(l.id().value(), l.application(), LimitText.label(u.rule().limit()), u.period(),
            LimitText.amount(u.rule().limit(), u.used()), LimitText.amount(u.rule().limit(), amount),
            u.rule().enforced(), u.resetsOn().toString(), (int) Math.min(100, u.used() * 100 / amount)));
      }
    }
    return rows;
  }
}
