package io.turnstile.store.internal;

import static io.turnstile.store.internal.db.Tables.CUSTOMERS;
import static io.turnstile.store.internal.db.Tables.EVENTS;
import static io.turnstile.store.internal.db.Tables.OUTBOX_EVENTS;
import static io.turnstile.store.internal.db.Tables.WEBHOOK_DELIVERIES;

import io.turnstile.store.Customer;
import io.turnstile.store.CustomerId;
import io.turnstile.store.Keys;
import io.turnstile.store.License;
import io.turnstile.store.LicenseId;
import io.turnstile.store.WebhookEndpoint;
import io.turnstile.store.WebhookEvent;
import io.turnstile.store.WebhookPayloads;
import io.turnstile.store.internal.db.tables.records.EventsRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * Writes the outbox, always inside the transaction of the change that caused the event: after a
 * write's work, {@link #afterWork} turns the events table's new rows into webhook events, each with
 * one delivery per enabled endpoint that wants it. So an event exists exactly when its change
 * committed. When no endpoint is enabled (known from memory) nothing is read or written.
 */
final class OutboxWriter {
  /** Event-log actions that are fields of one {@code license.updated}, and the field each names. */
  private static final Map<String, String> UPDATES = Map.of(
      "license.renamed", "name",
      "license.moved", "customerId",
      "license.expiry_changed", "expiresAt",
      "license.keep_released_before_expiry_changed", "keepReleasedBeforeExpiry",
      "license.upstream_credentials_changed", "upstreamCredentials",
      "license.entitlements_changed", "entitlements");
  /** Event-log actions that are a webhook event of their own, and the detail's key (null: none). */
  private static final Map<String, String[]> DIRECT = Map.of(
      "customer.created", new String[] {WebhookEvent.CUSTOMER_CREATED, null},
      "customer.deleted", new String[] {WebhookEvent.CUSTOMER_DELETED, null},
      "license.created", new String[] {WebhookEvent.LICENSE_CREATED, null},
      "license.versions_granted", new String[] {WebhookEvent.VERSION_GRANTED, "versions"},
      "license.version_revoked", new String[] {WebhookEvent.VERSION_REVOKED, "version"},
      "license.ranges_granted", new String[] {WebhookEvent.RANGE_GRANTED, "ranges"},
      "license.range_revoked", new String[] {WebhookEvent.RANGE_WITHDRAWN, "range"},
      "license.key_rotated", new String[] {WebhookEvent.KEY_ROTATED, null},
      "license.revoked", new String[] {WebhookEvent.LICENSE_REVOKED, null});

  private final SnapshotLoader loader;
  private volatile List<WebhookEndpoint> endpoints = List.of();
  private volatile WebhookPayloads payloads = OutboxWriter::minimal;

  OutboxWriter(SnapshotLoader loader) {
    this.loader = loader;
  }

  void endpoints(List<WebhookEndpoint> current) {
    endpoints = List.copyOf(current);
  }

  void renderWith(WebhookPayloads p) {
    payloads = p;
  }

  /** Whether any endpoint is enabled, as of the last endpoint event this replica followed. */
  boolean active() {
    return endpoints.stream().anyMatch(WebhookEndpoint::enabled);
  }

  /** Turns the events numbered after {@code before}, written by this transaction, into outbox events. */
  void afterWork(DSLContext tx, long before) {
    List<EventsRecord> rows = tx.selectFrom(EVENTS).where(EVENTS.SEQ.gt(before)).orderBy(EVENTS.SEQ).fetch();
    EventsRecord update = null;
    List<String> changed = new ArrayList<>();
    for (EventsRecord r : rows) {
      String field = UPDATES.get(r.getAction());
      if (field != null && update != null && !r.getLicenseId().equals(update.getLicenseId())) {
        emitUpdate(tx, update, changed);
        update = null;
      }
      if (field != null) {
        update = update == null ? r : update;
        changed.add(field);
        continue;
      }
      if (update != null) {
        emitUpdate(tx, update, changed);
        update = null;
      }
      if (r.getAction().equals("customer.renamed")) {
        emit(tx, r, WebhookEvent.CUSTOMER_UPDATED, Map.of("changes", List.of("name")));
        continue;
      }
      String[] direct = DIRECT.get(r.getAction());
      if (direct != null) {
        Map<String, List<String>> details = direct[1] == null ? Map.of() : Map.of(direct[1], values(r.getDetail()));
        emit(tx, r, direct[0], details);
      }
    }
    if (update != null) {
      emitUpdate(tx, update, changed);
    }
  }

  private void emitUpdate(DSLContext tx, EventsRecord r, List<String> changed) {
    emit(tx, r, WebhookEvent.LICENSE_UPDATED, Map.of("changes", List.copyOf(changed)));
    changed.clear();
  }

  private void emit(DSLContext tx, EventsRecord r, String type, Map<String, List<String>> details) {
    CustomerId customer = r.getCustomerId() == null ? null : new CustomerId(r.getCustomerId());
    LicenseId license = r.getLicenseId() == null ? null : new LicenseId(r.getLicenseId());
    enqueue(tx, type, Instant.ofEpochMilli(r.getAt()), customer, license, details, null);
  }

  /**
   * Writes one event and its deliveries: to {@code only} when it is not null (a test event), else to
   * every enabled endpoint that wants {@code type}. Deliveries of one license keep their order.
   *
   * @return the event's id
   */
  String enqueue(DSLContext tx, String type, Instant at, CustomerId customerId, LicenseId licenseId,
      Map<String, List<String>> details, WebhookEndpoint only) {
    List<WebhookEndpoint> to = only != null ? List.of(only)
        : endpoints.stream().filter(e -> e.enabled() && e.wants(type)).toList();
    if (to.isEmpty()) {
      return null;
    }
    License license = licenseId == null ? null : loader.license(tx, licenseId).orElse(null);
    CustomerId cid = customerId != null ? customerId : license == null ? null : license.customerId();
    Customer customer = cid == null ? null : tx.selectFrom(CUSTOMERS).where(CUSTOMERS.ID.eq(cid.value()))
        .fetchOptional(c -> new Customer(new CustomerId(c.getId()), c.getName(), Instant.ofEpochMilli(c.getCreatedAt())))
        .orElse(null);
    String id = Keys.newId("msg_");
    String payload = payloads.render(new WebhookEvent(id, type, at, customer, license, details));
    long seq = tx.select(DSL.coalesce(DSL.max(OUTBOX_EVENTS.SEQ), 0L)).from(OUTBOX_EVENTS).fetchOne().value1() + 1;
    tx.insertInto(OUTBOX_EVENTS)
        .set(OUTBOX_EVENTS.SEQ, seq)
        .set(OUTBOX_EVENTS.ID, id)
        .set(OUTBOX_EVENTS.TYPE, type)
        .set(OUTBOX_EVENTS.AT, at.toEpochMilli())
        .set(OUTBOX_EVENTS.PAYLOAD, payload)
        .execute();
    String orderingKey = licenseId != null ? licenseId.value() : cid != null ? cid.value() : id;
    for (WebhookEndpoint e : to) {
      insertDelivery(tx, seq, e.id(), orderingKey, at.toEpochMilli());
    }
    return id;
  }

  static void insertDelivery(DSLContext tx, long seq, String endpointId, String orderingKey, long now) {
    tx.insertInto(WEBHOOK_DELIVERIES)
        .set(WEBHOOK_DELIVERIES.ID, Keys.newId("dlv_"))
        .set(WEBHOOK_DELIVERIES.SEQ, seq)
        .set(WEBHOOK_DELIVERIES.ENDPOINT_ID, endpointId)
        .set(WEBHOOK_DELIVERIES.ORDERING_KEY, orderingKey)
        .set(WEBHOOK_DELIVERIES.STATE, "pending")
        .set(WEBHOOK_DELIVERIES.ATTEMPTS, 0)
        .set(WEBHOOK_DELIVERIES.CREATED_AT, now)
        .set(WEBHOOK_DELIVERIES.NEXT_ATTEMPT_AT, now)
        .execute();
  }

  /** {@code versions=[1.0.0, 1.1.0]} or {@code version=1.0.0}: the values after the '='. */
  static List<String> values(String detail) {
    if (detail == null) {
      return List.of();
    }
    String v = detail.substring(detail.indexOf('=') + 1).trim();
    if (v.startsWith("[") && v.endsWith("]")) {
      v = v.substring(1, v.length() - 1);
      return v.isBlank() ? List.of() : Arrays.stream(v.split(", ")).map(String::trim).toList();
    }
    return List.of(v);
  }

  /** The payload before a renderer is set: the event and its subject's id, nothing else. */
  private static String minimal(WebhookEvent e) {
    Map<String, String> data = new LinkedHashMap<>();
    if (e.license() != null) {
      data.put("id", e.license().id().value());
    } else if (e.customer() != null) {
      data.put("id", e.customer().id().value());
    }
    StringBuilder s = new StringBuilder("{\"id\":\"").append(e.id()).append("\",\"type\":\"").append(e.type())
        .append("\",\"timestamp\":\"").append(e.at()).append("\",\"data\":{");
    data.forEach((k, v) -> s.append('"').append(k).append("\":\"").append(v).append('"'));
    return s.append("}}").toString();
  }
}
