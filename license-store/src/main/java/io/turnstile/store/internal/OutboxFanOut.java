package io.turnstile.store.internal;

import static io.turnstile.store.internal.db.Tables.CUSTOMERS;
import static io.turnstile.store.internal.db.Tables.OUTBOX_EVENTS;
import static io.turnstile.store.internal.db.Tables.OUTBOX_PENDING;
import static io.turnstile.store.internal.db.Tables.WEBHOOK_DELIVERIES;

import io.turnstile.store.Customer;
import io.turnstile.store.CustomerId;
import io.turnstile.store.Keys;
import io.turnstile.store.License;
import io.turnstile.store.LicenseId;
import io.turnstile.store.WebhookEndpoint;
import io.turnstile.store.WebhookEvent;
import io.turnstile.store.WebhookPayloads;
import io.turnstile.store.internal.db.tables.records.OutboxPendingRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jooq.BatchBindStep;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The after-commit half of the outbox: turns the events {@link OutboxWriter} wrote with their
 * changes into payloads and deliveries, one per enabled endpoint that wants the event, and moves
 * them to {@code outbox_events}, in the delivery poller's transaction rather than the change's. The
 * payloads are rendered before that transaction ({@link #prepare}), so the poller holds the store's
 * one writer only to move rows ({@link #apply}).
 *
 * <p>A payload shows the license and customer as the change left them: kept in memory by the
 * replica that made the change, right after its commit. An event this replica kept nothing for
 * (another replica's, or one written before a restart) waits {@link #GRACE} for the replica that
 * wrote it, then is rendered from the database. Taking an event is a conditional delete, so only
 * one replica fans each out; until it is fanned out, no later delivery is due (see {@link
 * WebhookDeliveries#claim}), so deliveries keep the order the changes committed in.
 */
final class OutboxFanOut {
  private static final Logger log = LoggerFactory.getLogger(OutboxFanOut.class);
  /** How long an event another replica wrote is left to it; after that any replica takes it. */
  static final Duration GRACE = Duration.ofSeconds(5);
  /** Most events fanned out in one transaction. */
  private static final int BATCH = 500;

  private final OutboxWriter writer;
  private final SnapshotLoader loader;
  private volatile WebhookPayloads payloads = OutboxFanOut::minimal;

  OutboxFanOut(OutboxWriter writer, SnapshotLoader loader) {
    this.writer = writer;
    this.loader = loader;
  }

  void renderWith(WebhookPayloads p) {
    payloads = p;
  }

  /** Whether some event waits to be fanned out: a read, without the writer's lock. */
  static boolean waiting(DSLContext db) {
    return db.fetchExists(OUTBOX_PENDING);
  }

  /**
   * An event waiting, its payload rendered and its deliveries chosen, to be fanned out by {@link
   * #apply}: made before the writer's lock is taken, so that the write only moves rows.
   */
  record Prepared(OutboxPendingRecord row, String payload, String orderingKey, List<WebhookEndpoint> to) {}

  /**
   * Renders, without the writer's lock, the waiting events whose subjects this replica kept (or
   * that waited longer than {@link #GRACE}). One committed a moment ago whose subjects are not kept
   * yet is left to {@link #run}, under the lock, where its writer has kept them.
   */
  List<Prepared> prepare(DSLContext db, long now) {
    if (!waiting(db)) {
      return List.of();
    }
    List<OutboxPendingRecord> rows = db.selectFrom(OUTBOX_PENDING).orderBy(OUTBOX_PENDING.SEQ).limit(BATCH).fetch();
    List<WebhookEndpoint> endpoints = rows.isEmpty() ? List.of() : WebhookTable.load(db);
    List<Prepared> out = new ArrayList<>();
    for (OutboxPendingRecord row : rows) {
      OutboxWriter.Subjects kept = writer.peek(row.getId());
      if (kept != null || row.getAt() <= now - GRACE.toMillis()) {
        out.add(prepare(row, kept != null ? kept : read(db, row), endpoints));
      }
    }
    return out;
  }

  /**
   * Fans out {@code events}, each unless another replica took it meanwhile, inside {@code tx}: one
   * batch of each statement, so the writer is held briefly however many there are. The ids of the
   * events taken are added to {@code fannedOut}; their kept subjects are for the caller to forget
   * ({@link OutboxWriter#forget}) once this commits.
   */
  int apply(DSLContext tx, List<Prepared> events, long now, List<String> fannedOut) {
    if (events.isEmpty()) {
      return 0;
    }
    BatchBindStep take = tx.batch(tx.deleteFrom(OUTBOX_PENDING).where(OUTBOX_PENDING.SEQ.eq((Long) null)));
    events.forEach(p -> take.bind(p.row().getSeq()));
    int[] taken = take.execute();
    BatchInsert rows = new BatchInsert(tx, tx.insertInto(OUTBOX_EVENTS, OUTBOX_EVENTS.SEQ, OUTBOX_EVENTS.ID,
        OUTBOX_EVENTS.TYPE, OUTBOX_EVENTS.AT, OUTBOX_EVENTS.PAYLOAD).values((Long) null, null, null, null, null));
    BatchInsert deliveries = new BatchInsert(tx, tx.insertInto(WEBHOOK_DELIVERIES, WEBHOOK_DELIVERIES.ID,
        WEBHOOK_DELIVERIES.SEQ, WEBHOOK_DELIVERIES.ENDPOINT_ID, WEBHOOK_DELIVERIES.ORDERING_KEY,
        WEBHOOK_DELIVERIES.STATE, WEBHOOK_DELIVERIES.ATTEMPTS, WEBHOOK_DELIVERIES.CREATED_AT,
        WEBHOOK_DELIVERIES.NEXT_ATTEMPT_AT).values((String) null, null, null, null, null, null, null, null));
    List<Prepared> sent = new ArrayList<>();
    for (int i = 0; i < events.size(); i++) {
      if (taken[i] != 1) {
        continue;
      }
      Prepared p = events.get(i);
      fannedOut.add(p.row().getId());
      if (!p.to().isEmpty()) {
        OutboxPendingRecord row = p.row();
        rows.add(row.getSeq(), row.getId(), row.getType(), row.getAt(), p.payload());
        sent.add(p);
      }
    }
    // Every event before any delivery, which refers to its event (a batch also goes by itself when full).
    rows.flush();
    for (Prepared p : sent) {
      for (WebhookEndpoint e : p.to()) {
        deliveries.add(Keys.newId("dlv_"), p.row().getSeq(), e.id(), p.orderingKey(), WebhookDeliveries.PENDING, 0,
            p.row().getAt(), now);
      }
    }
    deliveries.flush();
    return fannedOut.size();
  }

  /**
   * Fans out the events still waiting, oldest first, inside {@code tx} (under the writer's lock,
   * where every write before it has kept its subjects), adding their ids to {@code fannedOut}.
   *
   * @return how many were fanned out
   */
  int run(DSLContext tx, long now, List<String> fannedOut) {
    return apply(tx, prepare(tx, now), now, fannedOut);
  }

  private Prepared prepare(OutboxPendingRecord row, OutboxWriter.Subjects subjects, List<WebhookEndpoint> endpoints) {
    String type = row.getType();
    List<WebhookEndpoint> to = endpoints.stream().filter(e -> row.getEndpointId() != null
        ? e.id().equals(row.getEndpointId()) : e.enabled() && e.wants(type)).toList();
    if (to.isEmpty()) {
      return new Prepared(row, null, null, to);
    }
    WebhookEvent event = new WebhookEvent(row.getId(), type, Instant.ofEpochMilli(row.getAt()), subjects.customer(),
        subjects.license(), OutboxWriter.decode(row.getDetails()));
    String payload;
    try {
      payload = payloads.render(event);
    } catch (RuntimeException e) {
      // Committed, so never dropped: it goes out naming only its subject.
      log.warn("cannot render webhook event {} ({}); it is sent with its subject's id only: {}", row.getId(), type,
          e.toString());
      payload = minimal(event);
    }
    // A customer's events and its licenses' share one key: customer.created goes before license.created.
    String orderingKey = subjects.customer() != null ? subjects.customer().id().value()
        : subjects.license() != null ? subjects.license().customerId().value()
        : row.getLicenseId() != null ? row.getLicenseId() : row.getId();
    return new Prepared(row, payload, orderingKey, to);
  }

  /** The subjects of an event no replica kept in memory, as the database holds them now. */
  private OutboxWriter.Subjects read(DSLContext tx, OutboxPendingRecord row) {
    License license = row.getLicenseId() == null ? null
        : loader.license(tx, new LicenseId(row.getLicenseId())).orElse(null);
    String cid = row.getCustomerId() != null ? row.getCustomerId()
        : license == null ? null : license.customerId().value();
    Customer customer = cid == null ? null : tx.selectFrom(CUSTOMERS).where(CUSTOMERS.ID.eq(cid))
        .fetchOptional(c -> new Customer(new CustomerId(c.getId()), c.getName(), Instant.ofEpochMilli(c.getCreatedAt())))
        .orElse(null);
    return new OutboxWriter.Subjects(customer, license);
  }

  /** The payload before a renderer is set, or when it fails: the event and its subject's id. */
  static String minimal(WebhookEvent e) {
    String subject = e.license() != null ? e.license().id().value()
        : e.customer() != null ? e.customer().id().value() : null;
    StringBuilder s = new StringBuilder("{\"id\":\"").append(e.id()).append("\",\"type\":\"").append(e.type())
        .append("\",\"timestamp\":\"").append(e.at()).append("\",\"data\":{");
    if (subject != null) {
      s.append("\"id\":\"").append(subject).append('"');
    }
    return s.append("}}").toString();
  }
}
