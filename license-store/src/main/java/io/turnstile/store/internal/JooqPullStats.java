package io.turnstile.store.internal;

import static io.turnstile.store.internal.db.Tables.PULLS;

import io.turnstile.store.CustomerId;
import io.turnstile.store.LicenseId;
import io.turnstile.store.PullStats;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.impl.DSL;

/**
 * The fleet view's aggregates on jOOQ, the same SQL on SQLite and PostgreSQL. Each is one grouped
 * query over a time range of {@code pulls}, read along its primary key {@code (at, id)}: the window
 * is most of what retention keeps, so an index on the grouping columns would save little and cost
 * every insert on the thread that records the pulls.
 */
public final class JooqPullStats implements PullStats {
  private static final long DAY_MILLIS = 86_400_000L;

  private final Database database;
  private final DSLContext dsl;

  public JooqPullStats(Database database) {
    this.database = database;
    this.dsl = database.dsl();
  }

  @Override
  public List<VersionPulls> versionsPulled(String application, Instant since, int limit) {
    PullStats.checkLimit(limit);
    Field<Long> last = DSL.max(PULLS.AT);
    Field<Integer> addresses = DSL.countDistinct(PULLS.CLIENT_ADDRESS);
    try {
      return dsl.select(PULLS.LICENSE_ID, PULLS.CUSTOMER_ID, PULLS.APPLICATION, PULLS.VERSION, last, addresses)
          .from(PULLS)
          .where(window(application, since))
          .groupBy(PULLS.LICENSE_ID, PULLS.CUSTOMER_ID, PULLS.APPLICATION, PULLS.VERSION)
          .orderBy(last.desc(), PULLS.LICENSE_ID, PULLS.APPLICATION, PULLS.VERSION)
          .limit(limit)
          .fetch(r -> new VersionPulls(new LicenseId(r.value1()), new CustomerId(r.value2()), r.value3(), r.value4(),
              Instant.ofEpochMilli(r.value5()), r.value6()));
    } catch (RuntimeException e) {
      throw database.translate(e);
    }
  }

  @Override
  public List<DailyAdoption> adoption(String application, Instant since, int limit) {
    PullStats.checkLimit(limit);
    // Inlined, not bound: PostgreSQL matches a GROUP BY expression to the select list by its text,
    // and two bind markers are two different expressions to it.
    Field<Long> day = PULLS.AT.div(DSL.inline(DAY_MILLIS));
    Field<Integer> licenses = DSL.countDistinct(PULLS.LICENSE_ID);
    try {
      return dsl.select(day, PULLS.APPLICATION, PULLS.VERSION, licenses)
          .from(PULLS)
          .where(window(application, since))
          .groupBy(day, PULLS.APPLICATION, PULLS.VERSION)
          .orderBy(day.desc(), PULLS.APPLICATION, PULLS.VERSION)
          .limit(limit)
          .fetch(r -> new DailyAdoption(LocalDate.ofEpochDay(r.value1()), r.value2(), r.value3(), r.value4()));
    } catch (RuntimeException e) {
      throw database.translate(e);
    }
  }

  @Override
  public Map<LicenseId, Instant> lastPulls(int limit) {
    PullStats.checkLimit(limit);
    Field<Long> last = DSL.max(PULLS.AT);
    try {
      Map<LicenseId, Instant> out = new LinkedHashMap<>();
      // The index pulls_license (license_id, at) answers this without reading the table.
      dsl.select(PULLS.LICENSE_ID, last).from(PULLS).where(PULLS.LICENSE_ID.isNotNull())
          .groupBy(PULLS.LICENSE_ID).orderBy(PULLS.LICENSE_ID).limit(limit)
          .forEach(r -> out.put(new LicenseId(r.value1()), Instant.ofEpochMilli(r.value2())));
      return out;
    } catch (RuntimeException e) {
      throw database.translate(e);
    }
  }

  private static List<Condition> window(String application, Instant since) {
    List<Condition> where = new ArrayList<>();
    where.add(PULLS.AT.ge(since.toEpochMilli()));
    where.add(PULLS.LICENSE_ID.isNotNull());
    where.add(PULLS.VERSION.isNotNull());
    if (application != null) {
      where.add(PULLS.APPLICATION.eq(application));
    }
    return where;
  }
}
