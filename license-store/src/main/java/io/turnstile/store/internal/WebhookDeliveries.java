package io.turnstile.store.internal;

import static io.turnstile.store.internal.db.Tables.OUTBOX_EVENTS;
import static io.turnstile.store.internal.db.Tables.OUTBOX_PENDING;
import static io.turnstile.store.internal.db.Tables.WEBHOOK_DELIVERIES;
import static io.turnstile.store.internal.db.Tables.WEBHOOK_ENDPOINTS;

import io.turnstile.store.DueDelivery;
import io.turnstile.store.NoSuchWebhookException;
import io.turnstile.store.WebhookDelivery;
import io.turnstile.store.Webhooks;
import io.turnstile.store.internal.db.tables.records.WebhookDeliveriesRecord;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jooq.BatchBindStep;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.impl.DSL;

/**
 * The deliveries table: what is due, who holds it, and how each attempt went.
 *
 * <p>A replica leases a delivery by a conditional update (pending, due, and no lease or an ended
 * one), which only one replica can win on PostgreSQL as on SQLite; the outcome is recorded only
 * while that lease holds, so a replica killed mid-delivery leaves it to another once its lease ends.
 * A delivery is due only when no earlier delivery of its license (its ordering key) to the same
 * endpoint is still pending: deliveries of one license arrive in order.
 */
final class WebhookDeliveries {
  static final String PENDING = "pending";
  static final String DELIVERED = "delivered";
  static final String FAILED = "failed";
  private static final int MAX_ERROR = 400;

  private final StoreWriter writer;
  private final CredentialCipher cipher;
  private final Clock clock;
  private final OutboxWriter outbox;
  private final OutboxFanOut fanOut;

  WebhookDeliveries(StoreWriter writer, CredentialCipher cipher, Clock clock, OutboxWriter outbox,
      OutboxFanOut fanOut) {
    this.writer = writer;
    this.cipher = cipher;
    this.clock = clock;
    this.outbox = outbox;
    this.fanOut = fanOut;
  }

  /**
   * Fans out the events waiting, then leases up to {@code limit} due deliveries, one per customer and
   * endpoint, in one write; when no event waits, what is due is read first and the writer's lock is
   * taken only to lease it.
   */
  List<DueDelivery> claim(String replica, int limit, Duration lease) {
    return claim(List.of(), List.of(), replica, limit, 1, lease).stream().flatMap(List::stream).toList();
  }

  /**
   * Records {@code outcomes} (see {@link #deliveredAll}), lets go of {@code unattempted}, fans out
   * and leases up to {@code limit} runs of up to {@code chain} deliveries each, in one write. The
   * payloads are rendered before the writer's lock is taken, so the write only moves rows.
   */
  List<List<DueDelivery>> claim(List<Webhooks.Delivered> outcomes, List<DueDelivery> unattempted, String replica,
      int limit, int chain, Duration lease) {
    long now = clock.millis();
    DSLContext db = writer.database().dsl();
    List<OutboxFanOut.Prepared> events = fanOut.prepare(db, now);
    if (!outcomes.isEmpty() || !unattempted.isEmpty() || !events.isEmpty() || OutboxFanOut.waiting(db)) {
      List<String> fannedOut = new ArrayList<>();
      List<List<DueDelivery>> leased = writer.writeWithoutEvents(tx -> {
        fannedOut.clear();
        settle(tx, outcomes, replica, now);
        letGo(tx, unattempted, replica);
        fanOut.apply(tx, events, now, fannedOut);
        fanOut.run(tx, now, fannedOut);
        return limit <= 0 ? List.<List<DueDelivery>>of() : lease(tx, runs(tx, now, limit, chain), replica, now, lease);
      });
      // Only now: had the write failed, the next look would render these from what was kept again.
      outbox.forget(fannedOut);
      return leased;
    }
    if (limit <= 0) {
      return List.of();
    }
    List<List<Record>> due = runs(db, now, limit, chain);
    if (due.isEmpty()) {
      return List.of();
    }
    return writer.writeWithoutEvents(tx -> lease(tx, due, replica, now, lease));
  }

  private static final io.turnstile.store.internal.db.tables.WebhookDeliveries D = WEBHOOK_DELIVERIES.as("d");
  /** What a delivery's attempt needs, and what tells whether it can follow the one before it in a run. */
  private static final List<org.jooq.SelectField<?>> COLUMNS = List.of(D.ID, D.ENDPOINT_ID, D.ORDERING_KEY, D.SEQ,
      D.ATTEMPTS, D.CREATED_AT, D.NEXT_ATTEMPT_AT, D.LEASE_UNTIL, WEBHOOK_ENDPOINTS.URL, WEBHOOK_ENDPOINTS.SECRET_ENC,
      OUTBOX_EVENTS.ID, OUTBOX_EVENTS.TYPE, OUTBOX_EVENTS.PAYLOAD);

  /**
   * The oldest due deliveries, at most {@code limit}: pending, of an enabled endpoint, not leased,
   * with no earlier pending delivery of their key to that endpoint and no earlier event still
   * waiting to be fanned out; each followed by the next ones of its key and endpoint, up to {@code
   * chain} in all, as long as each of those is due too.
   */
  private static List<List<Record>> runs(DSLContext db, long now, int limit, int chain) {
    io.turnstile.store.internal.db.tables.WebhookDeliveries e = WEBHOOK_DELIVERIES.as("e");
    List<? extends Record> heads = deliveries(db)
        .where(D.STATE.eq(PENDING), D.NEXT_ATTEMPT_AT.le(now), WEBHOOK_ENDPOINTS.ENABLED.isTrue(),
            D.LEASE_UNTIL.isNull().or(D.LEASE_UNTIL.lt(now)),
            DSL.notExists(DSL.selectOne().from(e).where(e.ENDPOINT_ID.eq(D.ENDPOINT_ID),
                e.ORDERING_KEY.eq(D.ORDERING_KEY), e.STATE.eq(PENDING), e.SEQ.lt(D.SEQ))),
            DSL.notExists(DSL.selectOne().from(OUTBOX_PENDING).where(OUTBOX_PENDING.SEQ.lt(D.SEQ))))
        .orderBy(D.SEQ)
        .limit(limit)
        .fetch();
    List<List<Record>> out = new ArrayList<>();
    for (Record head : heads) {
      List<Record> run = new ArrayList<>(List.of(head));
      if (chain > 1) {
        for (Record r : deliveries(db)
            .where(D.ENDPOINT_ID.eq(head.get(D.ENDPOINT_ID)), D.ORDERING_KEY.eq(head.get(D.ORDERING_KEY)),
                D.STATE.eq(PENDING), D.SEQ.gt(head.get(D.SEQ)),
                // In the same statement: an event committed before one of these is either here or waiting.
                DSL.notExists(DSL.selectOne().from(OUTBOX_PENDING).where(OUTBOX_PENDING.SEQ.lt(D.SEQ))))
            .orderBy(D.SEQ)
            .limit(chain - 1)
            .fetch()) {
          Long leased = r.get(D.LEASE_UNTIL);
          if (r.get(D.NEXT_ATTEMPT_AT) > now || (leased != null && leased >= now)) {
            break;
          }
          run.add(r);
        }
      }
      out.add(run);
    }
    return out;
  }

  /** Deliveries with what an attempt needs: their endpoint and their event. */
  private static org.jooq.SelectJoinStep<Record> deliveries(DSLContext db) {
    return db.select(COLUMNS)
        .from(D)
        .join(WEBHOOK_ENDPOINTS).on(WEBHOOK_ENDPOINTS.ID.eq(D.ENDPOINT_ID))
        .join(OUTBOX_EVENTS).on(OUTBOX_EVENTS.SEQ.eq(D.SEQ));
  }

  /**
   * Leases the runs, one batch for all, for {@code lease} from now (the writer's lock taken): each
   * run is cut where another replica won one of it, and what this replica won after that is let go
   * again at once (it would be out of order). A run to an endpoint this replica does not yet know
   * as enabled with that URL is left to a replica that does.
   */
  private List<List<DueDelivery>> lease(DSLContext tx, List<List<Record>> due, String replica, long now,
      Duration lease) {
    List<List<Record>> runs = due.stream().filter(run -> outbox.sendsTo(run.get(0).get(D.ENDPOINT_ID),
        URI.create(run.get(0).get(WEBHOOK_ENDPOINTS.URL)))).toList();
    if (runs.isEmpty()) {
      return List.of();
    }
    long until = clock.millis() + lease.toMillis();
    BatchBindStep batch = tx.batch(tx.update(WEBHOOK_DELIVERIES)
        .set(WEBHOOK_DELIVERIES.LEASE_UNTIL, (Long) null)
        .set(WEBHOOK_DELIVERIES.LEASED_BY, (String) null)
        .where(WEBHOOK_DELIVERIES.ID.eq((String) null), WEBHOOK_DELIVERIES.STATE.eq((String) null),
            WEBHOOK_DELIVERIES.LEASE_UNTIL.isNull().or(WEBHOOK_DELIVERIES.LEASE_UNTIL.lt((Long) null))));
    runs.forEach(run -> run.forEach(r -> batch.bind(until, replica, r.get(D.ID), PENDING, now)));
    int[] taken = batch.execute();
    List<List<DueDelivery>> won = new ArrayList<>();
    List<DueDelivery> outOfOrder = new ArrayList<>();
    int i = 0;
    for (List<Record> run : runs) {
      List<DueDelivery> mine = new ArrayList<>();
      boolean cut = false;
      for (Record r : run) {
        String endpoint = r.get(D.ENDPOINT_ID);
        DueDelivery d = taken[i++] != 1 ? null : new DueDelivery(r.get(D.ID), endpoint,
            URI.create(r.get(WEBHOOK_ENDPOINTS.URL)), cipher.decrypt(r.get(WEBHOOK_ENDPOINTS.SECRET_ENC), endpoint),
            r.get(OUTBOX_EVENTS.ID), r.get(OUTBOX_EVENTS.TYPE), r.get(OUTBOX_EVENTS.PAYLOAD), r.get(D.ATTEMPTS),
            Instant.ofEpochMilli(r.get(D.CREATED_AT)), Instant.ofEpochMilli(until));
        cut |= d == null;
        if (d != null) {
          (cut ? outOfOrder : mine).add(d);
        }
      }
      if (!mine.isEmpty()) {
        won.add(mine);
      }
    }
    letGo(tx, outOfOrder, replica);
    return won;
  }

  /** Ends the leases of deliveries never attempted, while held: due again at once, to any replica. */
  private static void letGo(DSLContext tx, List<DueDelivery> unattempted, String replica) {
    if (unattempted.isEmpty()) {
      return;
    }
    BatchBindStep batch = tx.batch(tx.update(WEBHOOK_DELIVERIES)
        .set(WEBHOOK_DELIVERIES.LEASE_UNTIL, (Long) null)
        .set(WEBHOOK_DELIVERIES.LEASED_BY, (String) null)
        .where(WEBHOOK_DELIVERIES.ID.eq((String) null), WEBHOOK_DELIVERIES.LEASED_BY.eq((String) null),
            WEBHOOK_DELIVERIES.LEASE_UNTIL.eq((Long) null)));
    unattempted.forEach(d -> batch.bind(null, null, d.id(), replica, d.leaseUntil().toEpochMilli()));
    batch.execute();
  }

  void delivered(DueDelivery dd, String replica, int status, Duration took) {
    deliveredAll(List.of(new io.turnstile.store.Webhooks.Delivered(dd, status, took)), replica);
  }

  /** Records successful attempts in one transaction: one write however many arrived together. */
  void deliveredAll(List<io.turnstile.store.Webhooks.Delivered> outcomes, String replica) {
    if (outcomes.isEmpty()) {
      return;
    }
    long now = clock.millis();
    writer.writeWithoutEvents(tx -> {
      settle(tx, outcomes, replica, now);
      return null;
    });
  }

  /** Records successes, one batch for all, each while its lease holds; their endpoints are not failing. */
  private static void settle(DSLContext tx, List<Webhooks.Delivered> outcomes, String replica, long now) {
    if (outcomes.isEmpty()) {
      return;
    }
    BatchBindStep batch = tx.batch(tx.update(WEBHOOK_DELIVERIES)
        .set(WEBHOOK_DELIVERIES.STATE, (String) null)
        .set(WEBHOOK_DELIVERIES.ATTEMPTS, (Integer) null)
        .set(WEBHOOK_DELIVERIES.LAST_ATTEMPT_AT, (Long) null)
        .set(WEBHOOK_DELIVERIES.LAST_STATUS, (Integer) null)
        .set(WEBHOOK_DELIVERIES.LAST_DURATION_MS, (Long) null)
        .set(WEBHOOK_DELIVERIES.LAST_ERROR, (String) null)
        .set(WEBHOOK_DELIVERIES.LEASE_UNTIL, (Long) null)
        .set(WEBHOOK_DELIVERIES.LEASED_BY, (String) null)
        .where(WEBHOOK_DELIVERIES.ID.eq((String) null), WEBHOOK_DELIVERIES.LEASED_BY.eq((String) null),
            WEBHOOK_DELIVERIES.LEASE_UNTIL.eq((Long) null)));
    for (Webhooks.Delivered o : outcomes) {
      DueDelivery dd = o.delivery();
      batch.bind(DELIVERED, dd.attempts() + 1, now, o.status(), o.took().toMillis(), null, null, null, dd.id(),
          replica, dd.leaseUntil().toEpochMilli());
    }
    int[] n = batch.execute();
    java.util.Set<String> succeeded = new java.util.TreeSet<>();
    for (int i = 0; i < n.length; i++) {
      if (n[i] == 1) {
        succeeded.add(outcomes.get(i).delivery().endpointId());
      }
    }
    for (String endpoint : succeeded) {
      tx.update(WEBHOOK_ENDPOINTS).setNull(WEBHOOK_ENDPOINTS.FAILING_SINCE)
          .where(WEBHOOK_ENDPOINTS.ID.eq(endpoint), WEBHOOK_ENDPOINTS.FAILING_SINCE.isNotNull())
          .execute();
    }
  }

  void failed(DueDelivery dd, String replica, Integer status, String error, Duration took, Instant retryAt,
      Instant disableBefore) {
    long now = clock.millis();
    String why = error == null ? null : error.length() <= MAX_ERROR ? error : error.substring(0, MAX_ERROR);
    boolean disabled = writer.write(tx -> {
      int n = tx.update(WEBHOOK_DELIVERIES)
          .set(WEBHOOK_DELIVERIES.STATE, retryAt == null ? FAILED : PENDING)
          .set(WEBHOOK_DELIVERIES.ATTEMPTS, dd.attempts() + 1)
          .set(WEBHOOK_DELIVERIES.NEXT_ATTEMPT_AT, retryAt == null ? now : retryAt.toEpochMilli())
          .set(WEBHOOK_DELIVERIES.LAST_ATTEMPT_AT, now)
          .set(WEBHOOK_DELIVERIES.LAST_STATUS, status)
          .set(WEBHOOK_DELIVERIES.LAST_DURATION_MS, took.toMillis())
          .set(WEBHOOK_DELIVERIES.LAST_ERROR, why)
          .setNull(WEBHOOK_DELIVERIES.LEASE_UNTIL)
          .setNull(WEBHOOK_DELIVERIES.LEASED_BY)
          .where(held(dd, replica))
          .execute();
      if (n == 0) {
        return false;
      }
      tx.update(WEBHOOK_ENDPOINTS).set(WEBHOOK_ENDPOINTS.FAILING_SINCE, now)
          .where(WEBHOOK_ENDPOINTS.ID.eq(dd.endpointId()), WEBHOOK_ENDPOINTS.FAILING_SINCE.isNull())
          .execute();
      int off = tx.update(WEBHOOK_ENDPOINTS)
          .set(WEBHOOK_ENDPOINTS.ENABLED, false)
          .set(WEBHOOK_ENDPOINTS.UPDATED_AT, now)
          .set(WEBHOOK_ENDPOINTS.DISABLED_REASON, "disabled by Turnstile at " + Instant.ofEpochMilli(now)
              + ": every delivery failed for longer than allowed")
          .where(WEBHOOK_ENDPOINTS.ID.eq(dd.endpointId()), WEBHOOK_ENDPOINTS.ENABLED.isTrue(),
              WEBHOOK_ENDPOINTS.FAILING_SINCE.lt(disableBefore.toEpochMilli()))
          .execute();
      if (off == 1) {
        // An event, so every replica's endpoint list follows, and the activity log says why.
        EventLog.record(tx, now, "turnstile", WebhookTable.EVENT_PREFIX + "endpoint_disabled", null, null,
            "id=" + dd.endpointId() + " failing for longer than allowed");
      }
      return off == 1;
    });
    if (disabled) {
      org.slf4j.LoggerFactory.getLogger(WebhookDeliveries.class)
          .warn("webhook endpoint {} disabled: its deliveries have failed for too long", dd.endpointId());
    }
  }

  private static org.jooq.Condition held(DueDelivery dd, String replica) {
    return WEBHOOK_DELIVERIES.ID.eq(dd.id()).and(WEBHOOK_DELIVERIES.LEASED_BY.eq(replica))
        .and(WEBHOOK_DELIVERIES.LEASE_UNTIL.eq(dd.leaseUntil().toEpochMilli()));
  }

  List<WebhookDelivery> recent(String endpointId, int limit) {
    return writer.database().dsl()
        .select(WEBHOOK_DELIVERIES.asterisk(), OUTBOX_EVENTS.ID, OUTBOX_EVENTS.TYPE)
        .from(WEBHOOK_DELIVERIES).join(OUTBOX_EVENTS).on(OUTBOX_EVENTS.SEQ.eq(WEBHOOK_DELIVERIES.SEQ))
        .where(WEBHOOK_DELIVERIES.ENDPOINT_ID.eq(endpointId))
        .orderBy(WEBHOOK_DELIVERIES.SEQ.desc(), WEBHOOK_DELIVERIES.CREATED_AT.desc())
        .limit(limit)
        .fetch(r -> view(r.into(WEBHOOK_DELIVERIES), r.get(OUTBOX_EVENTS.ID), r.get(OUTBOX_EVENTS.TYPE)));
  }

  WebhookDelivery redeliver(String endpointId, String deliveryId, String actor) {
    long now = clock.millis();
    String id = writer.write(tx -> {
      WebhookDeliveriesRecord old = tx.selectFrom(WEBHOOK_DELIVERIES)
          .where(WEBHOOK_DELIVERIES.ID.eq(deliveryId), WEBHOOK_DELIVERIES.ENDPOINT_ID.eq(endpointId)).fetchOne();
      if (old == null) {
        throw new NoSuchWebhookException(deliveryId);
      }
      // Keyed by its own id: a redelivery is asked for on purpose and waits for nothing earlier.
      String fresh = io.turnstile.store.Keys.newId("dlv_");
      tx.insertInto(WEBHOOK_DELIVERIES)
          .set(WEBHOOK_DELIVERIES.ID, fresh)
          .set(WEBHOOK_DELIVERIES.SEQ, old.getSeq())
          .set(WEBHOOK_DELIVERIES.ENDPOINT_ID, endpointId)
          .set(WEBHOOK_DELIVERIES.ORDERING_KEY, fresh)
          .set(WEBHOOK_DELIVERIES.STATE, PENDING)
          .set(WEBHOOK_DELIVERIES.ATTEMPTS, 0)
          .set(WEBHOOK_DELIVERIES.CREATED_AT, now)
          .set(WEBHOOK_DELIVERIES.NEXT_ATTEMPT_AT, now)
          .execute();
      EventLog.record(tx, now, actor, WebhookTable.EVENT_PREFIX + "redelivered", null, null,
          "id=" + endpointId + " delivery=" + deliveryId);
      return fresh;
    });
    return recent(endpointId, Integer.MAX_VALUE).stream().filter(x -> x.id().equals(id)).findFirst()
        .orElseThrow(() -> new NoSuchWebhookException(id));
  }

  long prune(Instant before) {
    return writer.writeWithoutEvents(tx -> {
      int n = tx.deleteFrom(WEBHOOK_DELIVERIES)
          .where(WEBHOOK_DELIVERIES.STATE.ne(PENDING), WEBHOOK_DELIVERIES.CREATED_AT.lt(before.toEpochMilli()))
          .execute();
      if (n > 0) {
        tx.deleteFrom(OUTBOX_EVENTS).where(OUTBOX_EVENTS.AT.lt(before.toEpochMilli()),
            DSL.notExists(DSL.selectOne().from(WEBHOOK_DELIVERIES).where(WEBHOOK_DELIVERIES.SEQ.eq(OUTBOX_EVENTS.SEQ))))
            .execute();
      }
      return (long) n;
    });
  }

  Map<String, Long> countsByState() {
    Map<String, Long> out = new HashMap<>(Map.of(PENDING, 0L, DELIVERED, 0L, FAILED, 0L));
    writer.database().dsl().select(WEBHOOK_DELIVERIES.STATE, DSL.count()).from(WEBHOOK_DELIVERIES)
        .groupBy(WEBHOOK_DELIVERIES.STATE)
        .forEach(r -> out.put(r.value1(), r.value2().longValue()));
    return out;
  }

  private static WebhookDelivery view(WebhookDeliveriesRecord r, String eventId, String type) {
    return new WebhookDelivery(r.getId(), r.getEndpointId(), eventId, type, r.getState(), r.getAttempts(),
        Instant.ofEpochMilli(r.getCreatedAt()), Instant.ofEpochMilli(r.getNextAttemptAt()),
        r.getLastAttemptAt() == null ? null : Instant.ofEpochMilli(r.getLastAttemptAt()), r.getLastStatus(),
        r.getLastDurationMs() == null ? null : Duration.ofMillis(r.getLastDurationMs()), r.getLastError());
  }
}
