package io.turnstile.store.internal;

import static io.turnstile.store.internal.db.Tables.EVENTS;

import io.turnstile.store.ActivityLog;
import io.turnstile.store.ActivityPage;
import io.turnstile.store.ActivityQuery;
import io.turnstile.store.ActivityRecord;
import io.turnstile.store.InvalidInputException;
import io.turnstile.store.internal.db.tables.records.EventsRecord;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.jooq.Condition;

/**
 * The activity log on the events table: the same rows that make license history, read across
 * customers newest first by their number, which is also the cursor. Sign-ins are events too, so
 * they take the store's write order like every change.
 */
final class JooqActivityLog implements ActivityLog {
  private final StoreWriter writer;
  private final Clock clock;

  JooqActivityLog(StoreWriter writer, Clock clock) {
    this.writer = writer;
    this.clock = clock;
  }

  @Override
  public ActivityPage find(ActivityQuery q) {
    List<Condition> where = new ArrayList<>();
    if (q.actor() != null) where.add(EVENTS.ACTOR.eq(q.actor()));
    if (q.customerId() != null) where.add(EVENTS.CUSTOMER_ID.eq(q.customerId().value()));
    if (q.licenseId() != null) where.add(EVENTS.LICENSE_ID.eq(q.licenseId().value()));
    if (q.since() != null) where.add(EVENTS.AT.ge(q.since().toEpochMilli()));
    if (q.until() != null) where.add(EVENTS.AT.lt(q.until().toEpochMilli()));
    if (q.cursor() != null) where.add(EVENTS.SEQ.lt(cursor(q.cursor())));
    try {
      List<EventsRecord> rows = writer.database().dsl().selectFrom(EVENTS).where(where)
          .orderBy(EVENTS.SEQ.desc()).limit(q.limit() + 1).fetch();
      List<ActivityRecord> out = new ArrayList<>();
      for (int i = 0; i < rows.size() && i < q.limit(); i++) {
        EventsRecord r = rows.get(i);
        out.add(new ActivityRecord(java.time.Instant.ofEpochMilli(r.getAt()), r.getActor(), r.getAction(),
            r.getCustomerId(), r.getLicenseId(), r.getDetail()));
      }
      String next = rows.size() > q.limit() ? Long.toString(rows.get(q.limit() - 1).getSeq()) : null;
      return new ActivityPage(out, next);
    } catch (RuntimeException e) {
      throw writer.database().translate(e);
    }
  }

  @Override
  public void record(String actor, String action, String detail) {
    if (action == null || !action.startsWith(SIGN_IN_PREFIX) || action.length() > 64) {
      throw new IllegalArgumentException("not an action without a change: " + action);
    }
    writer.write(tx -> {
      EventLog.record(tx, clock.millis(), actor, action, null, null, detail);
      return null;
    });
  }

  private static long cursor(String text) {
    try {
      long seq = Long.parseLong(text);
      if (seq < 1) {
        throw new NumberFormatException(text);
      }
      return seq;
    } catch (NumberFormatException e) {
      throw new InvalidInputException("cursor", "is not a cursor that this API gave");
    }
  }
}
