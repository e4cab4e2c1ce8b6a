package io.turnstile.store.internal;

import static io.turnstile.store.internal.db.Tables.LICENSES;
import static io.turnstile.store.internal.db.Tables.LICENSE_LIMITS;
import static io.turnstile.store.internal.db.Tables.USAGE_ADDRESSES;
import static io.turnstile.store.internal.db.Tables.USAGE_COUNTS;

import io.turnstile.store.CustomerId;
import io.turnstile.store.InvalidInputException;
import io.turnstile.store.LicenseId;
import io.turnstile.store.NoSuchLicenseException;
import io.turnstile.store.Usage;
import io.turnstile.store.UsageLimit;
import io.turnstile.store.internal.db.tables.records.LicensesRecord;
import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jooq.DSLContext;
import org.jooq.Record2;
import org.jooq.impl.DSL;

/**
 * Fair-use counters and per-license limits on jOOQ. A batch of deltas is one transaction of
 * upserts that add ({@code amount = amount + delta}), so replicas adding at once never lose each
 * other's counts; it is serialised with the store's other writes but records no event. Limit
 * overrides are recorded in the activity log.
 */
final class UsageTable implements Usage {
  static final String LIMIT_SET = "license.limit_set";
  static final String LIMIT_CLEARED = "license.limit_cleared";
  private static final int MAX_USER_AGENT = 400;
  private static final int MAX_ADDRESS = 64;

  private final StoreWriter writer;
  private final Clock clock;

  UsageTable(StoreWriter writer, Clock clock) {
    this.writer = writer;
    this.clock = clock;
  }

  @Override
  public Map<Key, Long> add(Map<Key, Long> deltas, Collection<Address> addresses) {
    if (deltas.isEmpty() && addresses.isEmpty()) {
      return Map.of();
    }
    return writer.writeWithoutEvents(tx -> {
      Set<String> ids = new HashSet<>();
      deltas.keySet().forEach(k -> ids.add(k.license().value()));
      addresses.forEach(a -> ids.add(a.license().value()));
      Set<String> known = new HashSet<>(tx.select(LICENSES.ID).from(LICENSES).where(LICENSES.ID.in(ids))
          .fetch(LICENSES.ID));
      Set<Key> touched = new LinkedHashSet<>();
      for (Map.Entry<Key, Long> d : deltas.entrySet()) {
        Key k = d.getKey();
        if (!known.contains(k.license().value())) {
          continue;
        }
        touched.add(k);
        // An address counts by its row; a zero delta only asks for the total.
        if (k.limit() == UsageLimit.ADDRESSES || d.getValue() == 0) {
          continue;
        }
        tx.insertInto(USAGE_COUNTS)
            .set(USAGE_COUNTS.LICENSE_ID, k.license().value())
            .set(USAGE_COUNTS.LIMIT_NAME, k.limit().storedName())
            .set(USAGE_COUNTS.PERIOD, k.period())
            .set(USAGE_COUNTS.AMOUNT, d.getValue())
            .onConflict(USAGE_COUNTS.LICENSE_ID, USAGE_COUNTS.LIMIT_NAME, USAGE_COUNTS.PERIOD)
            .doUpdate()
            .set(USAGE_COUNTS.AMOUNT, USAGE_COUNTS.AMOUNT.plus(d.getValue()))
            .execute();
      }
      for (Address a : addresses) {
        if (!known.contains(a.license().value())) {
          continue;
        }
        tx.insertInto(USAGE_ADDRESSES)
            .set(USAGE_ADDRESSES.LICENSE_ID, a.license().value())
            .set(USAGE_ADDRESSES.DAY, a.day())
            .set(USAGE_ADDRESSES.ADDRESS, cut(a.address(), MAX_ADDRESS))
            .set(USAGE_ADDRESSES.USER_AGENT, a.userAgent() == null ? null : cut(a.userAgent(), MAX_USER_AGENT))
            .set(USAGE_ADDRESSES.FIRST_AT, a.firstAt().toEpochMilli())
            .onConflictDoNothing()
            .execute();
        touched.add(new Key(a.license(), UsageLimit.ADDRESSES, a.day()));
      }
      return totals(tx, touched);
    });
  }

  @Override
  public Map<Key, Long> totals(Collection<Key> keys) {
    return totals(writer.database().dsl(), keys);
  }

  /** The totals of {@code keys} in two queries, whatever their number. */
  private static Map<Key, Long> totals(DSLContext dsl, Collection<Key> keys) {
    Map<Key, Long> out = new LinkedHashMap<>();
    if (keys.isEmpty()) {
      return out;
    }
    Set<String> ids = new HashSet<>();
    Set<String> periods = new HashSet<>();
    for (Key k : keys) {
      ids.add(k.license().value());
      periods.add(k.period());
      out.put(k, 0L);
    }
    dsl.select(USAGE_COUNTS.LICENSE_ID, USAGE_COUNTS.LIMIT_NAME, USAGE_COUNTS.PERIOD, USAGE_COUNTS.AMOUNT)
        .from(USAGE_COUNTS).where(USAGE_COUNTS.LICENSE_ID.in(ids), USAGE_COUNTS.PERIOD.in(periods))
        .forEach(r -> out.computeIfPresent(new Key(new LicenseId(r.value1()), UsageLimit.byStoredName(r.value2()),
            r.value3()), (k, v) -> r.value4()));
    dsl.select(USAGE_ADDRESSES.LICENSE_ID, USAGE_ADDRESSES.DAY, DSL.count()).from(USAGE_ADDRESSES)
        .where(USAGE_ADDRESSES.LICENSE_ID.in(ids), USAGE_ADDRESSES.DAY.in(periods))
        .groupBy(USAGE_ADDRESSES.LICENSE_ID, USAGE_ADDRESSES.DAY)
        .forEach(r -> out.computeIfPresent(new Key(new LicenseId(r.value1()), UsageLimit.ADDRESSES, r.value2()),
            (k, v) -> r.value3().longValue()));
    return out;
  }

  @Override
  public List<Address> addresses(LicenseId license, String day) {
    return writer.database().dsl().selectFrom(USAGE_ADDRESSES)
        .where(USAGE_ADDRESSES.LICENSE_ID.eq(license.value()), USAGE_ADDRESSES.DAY.eq(day))
        .orderBy(USAGE_ADDRESSES.FIRST_AT, USAGE_ADDRESSES.ADDRESS)
        .fetch(r -> new Address(license, day, r.getAddress(), r.getUserAgent(), Instant.ofEpochMilli(r.getFirstAt())));
  }

  @Override
  public Map<LicenseId, Long> addressCounts(String day) {
    Map<LicenseId, Long> out = new HashMap<>();
    for (Record2<String, Integer> r : writer.database().dsl()
        .select(USAGE_ADDRESSES.LICENSE_ID, DSL.count()).from(USAGE_ADDRESSES)
        .where(USAGE_ADDRESSES.DAY.eq(day)).groupBy(USAGE_ADDRESSES.LICENSE_ID).fetch()) {
      out.put(new LicenseId(r.value1()), r.value2().longValue());
    }
    return out;
  }

  @Override
  public List<LimitOverride> overrides() {
    return writer.database().dsl().selectFrom(LICENSE_LIMITS).fetch(r -> new LimitOverride(new LicenseId(r.getLicenseId()),
        UsageLimit.byStoredName(r.getLimitName()), r.getAmount(), "enforce".equals(r.getMode()),
        Instant.ofEpochMilli(r.getUpdatedAt())));
  }

  @Override
  public LimitOverride setOverride(LicenseId license, UsageLimit limit, long amount, boolean enforced, String actor) {
    if (amount < 1) {
      throw new InvalidInputException("limit", "must be at least 1");
    }
    long now = clock.millis();
    String mode = enforced ? "enforce" : "watch";
    writer.write(tx -> {
      LicensesRecord r = license(tx, license);
      tx.insertInto(LICENSE_LIMITS)
          .set(LICENSE_LIMITS.LICENSE_ID, license.value())
          .set(LICENSE_LIMITS.LIMIT_NAME, limit.storedName())
          .set(LICENSE_LIMITS.AMOUNT, amount)
          .set(LICENSE_LIMITS.MODE, mode)
          .set(LICENSE_LIMITS.UPDATED_AT, now)
          .onConflict(LICENSE_LIMITS.LICENSE_ID, LICENSE_LIMITS.LIMIT_NAME)
          .doUpdate()
          .set(LICENSE_LIMITS.AMOUNT, amount)
          .set(LICENSE_LIMITS.MODE, mode)
          .set(LICENSE_LIMITS.UPDATED_AT, now)
          .execute();
      EventLog.record(tx, now, actor, LIMIT_SET, new CustomerId(r.getCustomerId()), license,
          limit.apiName() + "=" + amount + " " + mode);
      return null;
    });
    return new LimitOverride(license, limit, amount, enforced, Instant.ofEpochMilli(now));
  }

  @Override
  public boolean clearOverride(LicenseId license, UsageLimit limit, String actor) {
    long now = clock.millis();
    return writer.write(tx -> {
      LicensesRecord r = license(tx, license);
      boolean had = tx.deleteFrom(LICENSE_LIMITS)
          .where(LICENSE_LIMITS.LICENSE_ID.eq(license.value()), LICENSE_LIMITS.LIMIT_NAME.eq(limit.storedName()))
          .execute() == 1;
      if (had) {
        EventLog.record(tx, now, actor, LIMIT_CLEARED, new CustomerId(r.getCustomerId()), license, limit.apiName());
      }
      return had;
    });
  }

  private static LicensesRecord license(DSLContext tx, LicenseId id) {
    LicensesRecord r = tx.selectFrom(LICENSES).where(LICENSES.ID.eq(id.value())).fetchOne();
    if (r == null) {
      throw new NoSuchLicenseException(id.value());
    }
    return r;
  }

  private static String cut(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max);
  }
}
