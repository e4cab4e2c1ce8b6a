package io.turnstile.store.internal;

import static io.turnstile.store.internal.db.Tables.EVENTS;

import io.turnstile.store.ActivityLog;
import io.turnstile.store.CustomerId;
import io.turnstile.store.Keys;
import io.turnstile.store.LicenseEvent;
import io.turnstile.store.LicenseId;
import io.turnstile.store.WebSessions;
import io.turnstile.store.internal.db.tables.records.LicensesRecord;
import java.time.Instant;
import java.util.List;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/** The events table: who changed what and when. Rows are only ever added, in {@code seq} order. */
final class EventLog {
  private static final int MAX_DETAIL = 4000;
  /** Where the write under way on this thread wants its events told, if it does: see {@link #capture}. */
  private static final ThreadLocal<List<Recorded>> CAPTURED = new ThreadLocal<>();

  private EventLog() {}

  /** An event as it was recorded. */
  record Recorded(long at, String action, String customerId, String licenseId, String detail) {}

  /**
   * Until {@link #endCapture}, every event this thread records is also added to {@code into}: the
   * writer learns its transaction's events without reading them back.
   */
  static void capture(List<Recorded> into) {
    CAPTURED.set(into);
  }

  static void endCapture() {
    CAPTURED.remove();
  }

  private static void captured(long at, String action, String customer, String license, String detail) {
    List<Recorded> into = CAPTURED.get();
    if (into != null) {
      into.add(new Recorded(at, action, customer, license, detail));
    }
  }

  /** Records a change of license {@code r}, inside the change's transaction. */
  static void record(DSLContext tx, long at, String actor, String action, LicensesRecord r, String detail) {
    record(tx, at, actor, action, new CustomerId(r.getCustomerId()), new LicenseId(r.getId()), detail);
  }

  /** Records a change of {@code customer} or of its {@code license} (null: the customer's own). */
  static void record(DSLContext tx, long at, String actor, String action, CustomerId customer,
      LicenseId license, String detail) {
    long seq = nextSeq(tx);
    String customerId = customer == null ? null : customer.value();
    String licenseId = license == null ? null : license.value();
    String stored = detail(detail);
    tx.insertInto(EVENTS)
        .set(EVENTS.ID, Keys.newId("ev_"))
        .set(EVENTS.SEQ, seq)
        .set(EVENTS.AT, at)
        .set(EVENTS.ACTOR, actor(actor))
        .set(EVENTS.ACTION, action)
        .set(EVENTS.CUSTOMER_ID, customerId)
        .set(EVENTS.LICENSE_ID, licenseId)
        .set(EVENTS.DETAIL, stored)
        .execute();
    captured(at, action, customerId, licenseId, stored);
  }

  /** Many events of one actor at one time, e.g. of an import: the rows go in as batches. */
  static final class Bulk {
    private final BatchInsert rows;
    private final long at;
    private final String actor;
    private long seq;

    Bulk(DSLContext tx, long at, String actor) {
      this.rows = new BatchInsert(tx, tx.insertInto(EVENTS,
              EVENTS.ID, EVENTS.SEQ, EVENTS.AT, EVENTS.ACTOR, EVENTS.ACTION, EVENTS.CUSTOMER_ID, EVENTS.LICENSE_ID,
              EVENTS.DETAIL)
          .values((String) null, null, null, null, null, null, null, null));
      this.at = at;
      this.actor = actor(actor);
      // The writer is serialised, so no other transaction takes these numbers meanwhile.
      this.seq = nextSeq(tx);
    }

    void add(String action, CustomerId customer, LicenseId license, String detail) {
      String licenseId = license == null ? null : license.value();
      String stored = detail(detail);
      rows.add(Keys.newId("ev_"), seq++, at, actor, action, customer.value(), licenseId, stored);
      captured(at, action, customer.value(), licenseId, stored);
    }

    void flush() {
      rows.flush();
    }
  }

  /** A license's events, oldest first. */
  static List<LicenseEvent> history(DSLContext dsl, LicenseId id) {
    return dsl.selectFrom(EVENTS)
        .where(EVENTS.LICENSE_ID.eq(id.value()))
        .orderBy(EVENTS.SEQ)
        .fetch(r -> new LicenseEvent(Instant.ofEpochMilli(r.getAt()), r.getActor(), r.getAction(), r.getDetail()));
  }

  /**
   * Prefixes of the actions that name no customer and leave the snapshot as it is: what they change
   * (signing keys, API tokens, webhook endpoints, ended web sessions, entitlement fields) is followed
   * on its own, and sign-ins change nothing.
   */
  private static final List<String> OUTSIDE_SNAPSHOT =
      List.of(SigningKeyStore.EVENT_PREFIX, SigningKeyStore.LICENSE_EVENT_PREFIX, ApiTokenTable.EVENT_PREFIX,
          ActivityLog.SIGN_IN_PREFIX, WebhookTable.EVENT_PREFIX, WebSessions.EVENT_PREFIX,
          io.turnstile.store.EntitlementDefinitions.EVENT_PREFIX);

  /** An event as a replica follows it: its number and the customer it changed. */
  record Change(long seq, String customer, String action) {
    /** Whether the snapshot of customers and licenses does not depend on it. */
    boolean outsideSnapshot() {
      return OUTSIDE_SNAPSHOT.stream().anyMatch(action::startsWith);
    }
  }

  /** The first {@code limit} events after {@code seq}, in order. */
  static List<Change> after(DSLContext dsl, long seq, int limit) {
    return dsl.select(EVENTS.SEQ, EVENTS.CUSTOMER_ID, EVENTS.ACTION).from(EVENTS)
        .where(EVENTS.SEQ.gt(seq))
        .orderBy(EVENTS.SEQ)
        .limit(limit)
        .fetch(r -> new Change(r.value1(), r.value2(), r.value3()));
  }

  /** The number of the last event, 0 when there is none. */
  static long lastSeq(DSLContext dsl) {
    return dsl.select(DSL.coalesce(DSL.max(EVENTS.SEQ), 0L)).from(EVENTS).fetchOne().value1();
  }

  private static long nextSeq(DSLContext tx) {
    return tx.select(DSL.coalesce(DSL.max(EVENTS.SEQ), 0L)).from(EVENTS).fetchOne().value1() + 1;
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
