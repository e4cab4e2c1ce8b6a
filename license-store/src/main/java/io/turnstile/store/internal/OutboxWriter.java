package io.turnstile.store.internal;

import static io.turnstile.store.internal.db.Tables.OUTBOX_EVENTS;
import static io.turnstile.store.internal.db.Tables.OUTBOX_PENDING;

import io.turnstile.store.Customer;
import io.turnstile.store.CustomerId;
import io.turnstile.store.Keys;
import io.turnstile.store.License;
import io.turnstile.store.LicenseId;
import io.turnstile.store.Snapshot;
import io.turnstile.store.WebhookEndpoint;
import io.turnstile.store.WebhookEvent;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * Writes the outbox, always inside the transaction of the change that caused the event, and keeps
 * that part small: after a write's work, {@link #afterWork} turns the events table's new rows into
 * webhook events, each one row of {@code outbox_pending} holding only the facts needed to send it
 * (type, time, customer, license, details). So an event exists exactly when its change committed.
 * Rendering the payload and adding a delivery per endpoint happen after the commit, in {@link
 * OutboxFanOut}; right after the commit, under the writer's lock, {@link #committed} keeps the
 * license and customer as the change left them, from the fresh snapshot, for the payload. When no
 * endpoint is enabled (known from memory) nothing is read or written.
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

  /** Most subjects kept for the poller; beyond them it reads them back from the database. */
  private static final int MAX_KEPT = 10_000;
  /**
   * How long subjects are kept for an event this replica's poller has not taken: by then another
   * replica has fanned it out (its grace is {@link OutboxFanOut#GRACE}), rendered from the database.
   */
  private static final Duration STALE = Duration.ofMinutes(10);

  /** The customer and license of an event as its change left them, for its payload. */
  record Subjects(Customer customer, License license) {}

  /** An event of the write under way, whose subjects are kept once it commits. */
  private record Written(String id, CustomerId customer, LicenseId license) {}

  /** Subjects kept, and when. */
  private record Kept(Subjects subjects, long atNanos) {}

  private volatile List<WebhookEndpoint> endpoints = List.of();
  /** The events of the write under way; only touched under the writer's lock. */
  private final List<Written> thisWrite = new ArrayList<>();
  /** The last outbox number the write under way took, -1 before its first; only under the writer's lock. */
  private long lastSeq = -1;
  /** By event id, which is never reused (a number may be, once its event went to no endpoint). */
  private final Map<String, Kept> kept = new ConcurrentHashMap<>();

  void endpoints(List<WebhookEndpoint> current) {
    endpoints = List.copyOf(current);
  }

  /** Whether any endpoint is enabled, as of the last endpoint event this replica followed. */
  boolean active() {
    return endpoints.stream().anyMatch(WebhookEndpoint::enabled);
  }

  /** Whether endpoint {@code id} is enabled with {@code url}, as of the last endpoint event followed. */
  boolean sendsTo(String id, java.net.URI url) {
    return endpoints.stream().anyMatch(e -> e.id().equals(id) && e.enabled() && e.url().equals(url));
  }

  /** Turns the events this transaction recorded, in their order, into outbox events. */
  void afterWork(DSLContext tx, List<EventLog.Recorded> rows) {
    EventLog.Recorded update = null;
    List<String> changed = new ArrayList<>();
    for (EventLog.Recorded r : rows) {
      String field = UPDATES.get(r.action());
      if (field != null && update != null && !r.licenseId().equals(update.licenseId())) {
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
      if (r.action().equals("customer.renamed")) {
        emit(tx, r, WebhookEvent.CUSTOMER_UPDATED, Map.of("changes", List.of("name")));
        continue;
      }
      String[] direct = DIRECT.get(r.action());
      if (direct != null) {
        Map<String, List<String>> details = direct[1] == null ? Map.of() : Map.of(direct[1], values(r.detail()));
        emit(tx, r, direct[0], details);
      }
    }
    if (update != null) {
      emitUpdate(tx, update, changed);
    }
  }

  private void emitUpdate(DSLContext tx, EventLog.Recorded r, List<String> changed) {
    emit(tx, r, WebhookEvent.LICENSE_UPDATED, Map.of("changes", List.copyOf(changed)));
    changed.clear();
  }

  private void emit(DSLContext tx, EventLog.Recorded r, String type, Map<String, List<String>> details) {
    CustomerId customer = r.customerId() == null ? null : new CustomerId(r.customerId());
    LicenseId license = r.licenseId() == null ? null : new LicenseId(r.licenseId());
    enqueue(tx, type, Instant.ofEpochMilli(r.at()), customer, license, details, null);
  }

  /**
   * Writes one event's facts, to go to {@code only} when it is not null (a test event), else to
   * every enabled endpoint that wants {@code type} when it is fanned out. Nothing is written when no
   * endpoint wants it now.
   *
   * @return the event's id, or null when nothing was written
   */
  String enqueue(DSLContext tx, String type, Instant at, CustomerId customerId, LicenseId licenseId,
      Map<String, List<String>> details, WebhookEndpoint only) {
    if (only == null && endpoints.stream().noneMatch(e -> e.enabled() && e.wants(type))) {
      return null;
    }
    String id = Keys.newId("msg_");
    // One numbering for events waiting and events fanned out: deliveries follow commit order. Read
    // once per write; its further events follow on (the writer is serialised).
    long seq = lastSeq >= 0 ? lastSeq + 1 : tx.select(DSL.greatest(
        DSL.coalesce(DSL.field(DSL.select(DSL.max(OUTBOX_PENDING.SEQ)).from(OUTBOX_PENDING)), 0L),
        DSL.coalesce(DSL.field(DSL.select(DSL.max(OUTBOX_EVENTS.SEQ)).from(OUTBOX_EVENTS)), 0L))).fetchOne().value1()
        + 1;
    lastSeq = seq;
    tx.insertInto(OUTBOX_PENDING)
        .set(OUTBOX_PENDING.SEQ, seq)
        .set(OUTBOX_PENDING.ID, id)
        .set(OUTBOX_PENDING.TYPE, type)
        .set(OUTBOX_PENDING.AT, at.toEpochMilli())
        .set(OUTBOX_PENDING.CUSTOMER_ID, customerId == null ? null : customerId.value())
        .set(OUTBOX_PENDING.LICENSE_ID, licenseId == null ? null : licenseId.value())
        .set(OUTBOX_PENDING.ENDPOINT_ID, only == null ? null : only.id())
        .set(OUTBOX_PENDING.DETAILS, encode(details))
        .execute();
    thisWrite.add(new Written(id, customerId, licenseId));
    return id;
  }

  /** A write's transaction begins: what one that rolled back left is dropped. */
  void begin() {
    thisWrite.clear();
    lastSeq = -1;
  }

  /**
   * The write committed and {@code after} reflects it: its events' license and customer are kept
   * from it for their payloads. A subject the snapshot does not hold (a deleted customer, a license
   * of one) is read from the database when the event is fanned out; it no longer changes by then.
   */
  void committed(Snapshot after) {
    long now = System.nanoTime();
    if (kept.size() >= MAX_KEPT / 2) {
      kept.values().removeIf(k -> now - k.atNanos() > STALE.toNanos());
    }
    for (Written w : thisWrite) {
      License license = w.license() == null ? null : after.license(w.license());
      CustomerId cid = w.customer() != null ? w.customer() : license == null ? null : license.customerId();
      Customer customer = cid == null ? null : after.customer(cid);
      if ((w.license() == null || license != null) && (cid == null || customer != null) && kept.size() < MAX_KEPT) {
        kept.put(w.id(), new Kept(new Subjects(customer, license), now));
      }
    }
    thisWrite.clear();
  }

  /** The subjects kept for event {@code id}: null when this replica kept none. */
  Subjects peek(String id) {
    Kept k = kept.get(id);
    return k == null ? null : k.subjects();
  }

  /** Forgets the subjects of events fanned out: called once their fan-out committed. */
  void forget(java.util.Collection<String> ids) {
    ids.forEach(kept::remove);
  }

  /** {@code key=value,value&key=value}, each part URL-encoded: an event's details in its row. */
  static String encode(Map<String, List<String>> details) {
    StringBuilder s = new StringBuilder();
    new TreeMap<>(details).forEach((k, vs) -> {
      s.append(s.length() == 0 ? "" : "&").append(URLEncoder.encode(k, StandardCharsets.UTF_8)).append('=');
      s.append(vs.stream().map(v -> URLEncoder.encode(v, StandardCharsets.UTF_8)).collect(Collectors.joining(",")));
    });
    return s.toString();
  }

  /** The details {@link #encode} wrote. */
  static Map<String, List<String>> decode(String encoded) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    if (encoded == null || encoded.isEmpty()) {
      return out;
    }
    for (String part : encoded.split("&")) {
      int eq = part.indexOf('=');
      String values = part.substring(eq + 1);
      out.put(URLDecoder.decode(part.substring(0, eq), StandardCharsets.UTF_8), values.isEmpty() ? List.of()
          : Arrays.stream(values.split(",", -1)).map(v -> URLDecoder.decode(v, StandardCharsets.UTF_8)).toList());
    }
    return out;
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
}
