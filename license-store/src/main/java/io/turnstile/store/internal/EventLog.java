package io.turnstile.store.internal;

import static io.turnstile.store.internal.db.Tables.EVENTS;

import io.turnstile.store.CustomerId;
import io.turnstile.store.Keys;
import io.turnstile.store.LicenseEvent;
import io.turnstile.store.LicenseId;
import io.turnstile.store.internal.db.tables.records.LicensesRecord;
import java.time.Instant;
import java.util.List;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/** The events table: who changed what and when. Rows are only ever added, in {@code seq} order. */
final class EventLog {
  private static final int MAX_DETAIL = 4000;

  private EventLog() {}

  /** Records a change of license {@code r}, inside the change's transaction. */
  static void record(DSLContext tx, long at, String actor, String action, LicensesRecord r, String detail) {
    record(tx, at, actor, action, new CustomerId(r.getCustomerId()), new LicenseId(r.getId()), detail);
  }

  /** Records a change of {@code customer} or of its {@code license} (null: the customer's own). */
  static void record(DSLContext tx, long at, String actor, String action, CustomerId customer,
      LicenseId license, String detail) {
    long seq = tx.select(DSL.coalesce(DSL.max(EVENTS.SEQ), 0L)).from(EVENTS).fetchOne().value1() + 1;
    tx.insertInto(EVENTS)
        .set(EVENTS.ID, Keys.newId("ev_"))
        .set(EVENTS.SEQ, seq)
        .set(EVENTS.AT, at)
        .set(EVENTS.ACTOR, actor(actor))
        .set(EVENTS.ACTION, action)
        .set(EVENTS.CUSTOMER_ID, customer == null ? null : customer.value())
        .set(EVENTS.LICENSE_ID, license == null ? null : license.value())
        .set(EVENTS.DETAIL, detail(detail))
        .execute();
  }

  /** A license's events, oldest first. */
  static List<LicenseEvent> history(DSLContext dsl, LicenseId id) {
    return dsl.selectFrom(EVENTS)
        .where(EVENTS.LICENSE_ID.eq(id.value()))
        .orderBy(EVENTS.SEQ)
        .fetch(r -> new LicenseEvent(Instant.ofEpochMilli(r.getAt()), r.getActor(), r.getAction(), r.getDetail()));
  }

  private static String actor(String actor) {
    return actor == null || actor.isBlank() ? "unknown" : truncate(actor, Inputs.MAX_NAME);
  }

  private static String detail(String detail) {
    return detail == null ? null : truncate(detail, MAX_DETAIL);
  }

  private static String truncate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max);
  }
}
