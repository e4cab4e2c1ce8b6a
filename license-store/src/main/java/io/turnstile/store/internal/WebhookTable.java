package io.turnstile.store.internal;

import static io.turnstile.store.internal.db.Tables.EXPIRY_NOTICES;
import static io.turnstile.store.internal.db.Tables.FIRST_PULLS;
import static io.turnstile.store.internal.db.Tables.PULLS;
import static io.turnstile.store.internal.db.Tables.LICENSES;
import static io.turnstile.store.internal.db.Tables.LIMIT_NOTICES;
import static io.turnstile.store.internal.db.Tables.WEBHOOK_DELIVERIES;
import static io.turnstile.store.internal.db.Tables.WEBHOOK_ENDPOINTS;

import io.turnstile.store.DueDelivery;
import io.turnstile.store.InvalidInputException;
import io.turnstile.store.IssuedWebhookSecret;
import io.turnstile.store.Keys;
import io.turnstile.store.LicenseId;
import io.turnstile.store.NoSuchWebhookException;
import io.turnstile.store.WebhookDelivery;
import io.turnstile.store.WebhookEndpoint;
import io.turnstile.store.WebhookEvent;
import io.turnstile.store.WebhookPayloads;
import io.turnstile.store.Webhooks;
import io.turnstile.store.internal.db.tables.records.WebhookEndpointsRecord;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jooq.DSLContext;

/**
 * Webhook endpoints on jOOQ, and the store's face for the outbox: endpoint changes are recorded in
 * the events table (so the activity log names who made them, and every replica's endpoint list in
 * memory follows them); deliveries are kept by {@link WebhookDeliveries}. Signing secrets are kept
 * encrypted, as upstream passwords are, since they must be read back to sign.
 */
final class WebhookTable implements Webhooks {
  static final String EVENT_PREFIX = "webhook.";
  private static final int MAX_URL = 2000;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final StoreWriter writer;
  private final CredentialCipher cipher;
  private final Clock clock;
  private final OutboxWriter outbox;
  private final OutboxFanOut fanOut;
  private final WebhookDeliveries deliveries;

  WebhookTable(StoreWriter writer, CredentialCipher cipher, SnapshotLoader loader, Clock clock) {
    this.writer = writer;
    this.cipher = cipher;
    this.clock = clock;
    this.outbox = new OutboxWriter();
    this.fanOut = new OutboxFanOut(outbox, loader);
    this.deliveries = new WebhookDeliveries(writer, cipher, clock, outbox, fanOut);
    writer.follow(EVENT_PREFIX, tx -> outbox.endpoints(load(tx)));
    writer.outbox(outbox);
  }

  @Override
  public void renderWith(WebhookPayloads payloads) {
    fanOut.renderWith(Objects.requireNonNull(payloads, "payloads"));
  }

  @Override
  public boolean active() {
    return outbox.active();
  }

  @Override
  public boolean sendsTo(String id, URI url) {
    return outbox.sendsTo(id, url);
  }

  @Override
  public IssuedWebhookSecret create(URI url, String description, List<String> eventTypes, boolean enabled,
      String actor) {
    String u = url(url);
    String d = description(description);
    List<String> types = types(eventTypes);
    String id = Keys.newId("whe_");
    String secret = newSecret();
    long now = clock.millis();
    writer.write(tx -> {
      tx.insertInto(WEBHOOK_ENDPOINTS)
          .set(WEBHOOK_ENDPOINTS.ID, id)
          .set(WEBHOOK_ENDPOINTS.URL, u)
          .set(WEBHOOK_ENDPOINTS.DESCRIPTION, d)
          .set(WEBHOOK_ENDPOINTS.EVENT_TYPES, String.join(",", types))
          .set(WEBHOOK_ENDPOINTS.ENABLED, enabled)
          .set(WEBHOOK_ENDPOINTS.SECRET_ENC, cipher.encrypt(secret, id))
          .set(WEBHOOK_ENDPOINTS.CREATED_AT, now)
          .set(WEBHOOK_ENDPOINTS.UPDATED_AT, now)
          .execute();
      EventLog.record(tx, now, actor, EVENT_PREFIX + "endpoint_created", null, null, "id=" + id + " url=" + u);
      return null;
    });
    return new IssuedWebhookSecret(endpoint(id), secret);
  }

  @Override
  public List<WebhookEndpoint> endpoints() {
    return load(writer.database().dsl());
  }

  @Override
  public WebhookEndpoint endpoint(String id) {
    WebhookEndpointsRecord r = writer.database().dsl().selectFrom(WEBHOOK_ENDPOINTS)
        .where(WEBHOOK_ENDPOINTS.ID.eq(id)).fetchOne();
    if (r == null) {
      throw new NoSuchWebhookException(id);
    }
    return view(r);
  }

  @Override
  public WebhookEndpoint update(String id, URI url, String description, List<String> eventTypes, Boolean enabled,
      String actor) {
    String u = url == null ? null : url(url);
    String d = description == null ? null : description(description);
    List<String> types = eventTypes == null ? null : types(eventTypes);
    long now = clock.millis();
    writer.write(tx -> {
      WebhookEndpointsRecord r = row(tx, id);
      List<String> changed = new ArrayList<>();
      if (u != null && !u.equals(r.getUrl())) {
        r.setUrl(u);
        changed.add("url=" + u);
      }
      if (d != null && !d.equals(r.getDescription())) {
        r.setDescription(d);
        changed.add("description");
      }
      if (types != null && !String.join(",", types).equals(r.getEventTypes())) {
        r.setEventTypes(String.join(",", types));
        changed.add("events=" + types);
      }
      if (enabled != null && enabled != r.getEnabled()) {
        r.setEnabled(enabled);
        changed.add(enabled ? "enabled" : "disabled");
      }
      if (enabled == Boolean.TRUE) {
        // Enabled again by someone: its failures start afresh.
        r.setFailingSince(null);
        r.setDisabledReason(null);
      }
      if (!changed.isEmpty() || r.changed()) {
        r.setUpdatedAt(now);
        r.store();
        EventLog.record(tx, now, actor, EVENT_PREFIX + "endpoint_updated", null, null,
            "id=" + id + " " + String.join(" ", changed));
      }
      return null;
    });
    return endpoint(id);
  }

  @Override
  public void delete(String id, String actor) {
    long now = clock.millis();
    writer.write(tx -> {
      row(tx, id);
      tx.deleteFrom(WEBHOOK_DELIVERIES).where(WEBHOOK_DELIVERIES.ENDPOINT_ID.eq(id)).execute();
      tx.deleteFrom(WEBHOOK_ENDPOINTS).where(WEBHOOK_ENDPOINTS.ID.eq(id)).execute();
      EventLog.record(tx, now, actor, EVENT_PREFIX + "endpoint_deleted", null, null, "id=" + id);
      return null;
    });
  }

  @Override
  public IssuedWebhookSecret rotateSecret(String id, String actor) {
    String secret = newSecret();
    long now = clock.millis();
    writer.write(tx -> {
      WebhookEndpointsRecord r = row(tx, id);
      r.setSecretEnc(cipher.encrypt(secret, id));
      r.setUpdatedAt(now);
      r.store();
      EventLog.record(tx, now, actor, EVENT_PREFIX + "secret_rotated", null, null, "id=" + id);
      return null;
    });
    return new IssuedWebhookSecret(endpoint(id), secret);
  }

  @Override
  public String sendTest(String id, String actor) {
    Instant now = clock.instant();
    return writer.write(tx -> {
      WebhookEndpoint e = view(row(tx, id));
      String event = outbox.enqueue(tx, WebhookEvent.TEST, now, null, null, Map.of("endpoint", List.of(id)), e);
      EventLog.record(tx, now.toEpochMilli(), actor, EVENT_PREFIX + "test_sent", null, null,
          "id=" + id + " event=" + event);
      return event;
    });
  }

  @Override
  public List<WebhookDelivery> deliveries(String endpointId, int limit) {
    endpoint(endpointId);
    return deliveries.recent(endpointId, limit);
  }

  @Override
  public WebhookDelivery redeliver(String endpointId, String deliveryId, String actor) {
    return deliveries.redeliver(endpointId, deliveryId, actor);
  }

  @Override
  public boolean noticeExpiry(LicenseId id, Instant expiresAt, int days, List<Integer> alsoPassed) {
    Instant now = clock.instant();
    return writer.write(tx -> {
      if (!tx.fetchExists(LICENSES, LICENSES.ID.eq(id.value()))) {
        return false;
      }
      for (int other : alsoPassed) {
        notice(tx, id, expiresAt, other, now);
      }
      if (!notice(tx, id, expiresAt, days, now)) {
        return false;
      }
      String type = days == 0 ? WebhookEvent.LICENSE_EXPIRED : WebhookEvent.LICENSE_EXPIRING;
      outbox.enqueue(tx, type, now, null, id,
          Map.of("daysBeforeExpiry", List.of(Integer.toString(days)), "expiresAt", List.of(expiresAt.toString())),
          null);
      return true;
    });
  }

  /** Whether this inserted the notice: a replica that lost the race inserts nothing. */
  private static boolean notice(DSLContext tx, LicenseId id, Instant expiresAt, int days, Instant now) {
    return tx.insertInto(EXPIRY_NOTICES)
        .set(EXPIRY_NOTICES.LICENSE_ID, id.value())
        .set(EXPIRY_NOTICES.DAYS, days)
        .set(EXPIRY_NOTICES.EXPIRES_AT, expiresAt.toEpochMilli())
        .set(EXPIRY_NOTICES.AT, now.toEpochMilli())
        .onConflictDoNothing()
        .execute() == 1;
  }

  @Override
  public List<Integer> expiryNotices(LicenseId id, Instant expiresAt) {
    return writer.database().dsl().select(EXPIRY_NOTICES.DAYS).from(EXPIRY_NOTICES)
        .where(EXPIRY_NOTICES.LICENSE_ID.eq(id.value()), EXPIRY_NOTICES.EXPIRES_AT.eq(expiresAt.toEpochMilli()))
        .fetch(EXPIRY_NOTICES.DAYS);
  }

  @Override
  public boolean firstPull(LicenseId id, String repository, String version, Instant at) {
    return writer.write(tx -> {
      boolean first = tx.insertInto(FIRST_PULLS)
          .set(FIRST_PULLS.LICENSE_ID, id.value())
          .set(FIRST_PULLS.VERSION, version)
          .set(FIRST_PULLS.AT, at.toEpochMilli())
          .onConflictDoNothing()
          .execute() == 1;
      // A version pulled before webhooks were on is not new: the audit log remembers it.
      if (!first || tx.fetchExists(PULLS, PULLS.LICENSE_ID.eq(id.value()), PULLS.VERSION.eq(version),
          PULLS.AT.lt(at.toEpochMilli()))) {
        return false;
      }
      outbox.enqueue(tx, WebhookEvent.PULL_FIRST_OF_VERSION, at, null, id,
          Map.of("repository", List.of(repository), "version", List.of(version)), null);
      return true;
    });
  }

  @Override
  public boolean noticeLimit(io.turnstile.store.Usage.Key key, boolean reached, long used, long limit,
      boolean enforced) {
    Instant at = clock.instant();
    return writer.write(tx -> {
      boolean first = tx.insertInto(LIMIT_NOTICES)
          .set(LIMIT_NOTICES.LICENSE_ID, key.license().value())
          .set(LIMIT_NOTICES.LIMIT_NAME, key.limit().storedName())
          .set(LIMIT_NOTICES.PERIOD, key.period())
          .set(LIMIT_NOTICES.NOTICE, reached ? "reached" : "warning")
          .set(LIMIT_NOTICES.AT, at.toEpochMilli())
          .onConflictDoNothing()
          .execute() == 1;
      if (first) {
        outbox.enqueue(tx, reached ? WebhookEvent.LIMIT_REACHED : WebhookEvent.LIMIT_WARNING, at, null, key.license(),
            Map.of("limit", List.of(key.limit().apiName()), "period", List.of(key.period()),
                "used", List.of(Long.toString(used)), "amount", List.of(Long.toString(limit)),
                "mode", List.of(enforced ? "enforce" : "watch")), null);
      }
      return first;
    });
  }

  @Override
  public List<DueDelivery> claim(String replica, int limit, Duration lease) {
    return deliveries.claim(replica, limit, lease);
  }

  @Override
  public void delivered(DueDelivery d, String replica, int status, Duration took) {
    deliveries.delivered(d, replica, status, took);
  }

  @Override
  public void deliveredAll(List<Delivered> outcomes, String replica) {
    deliveries.deliveredAll(outcomes, replica);
  }

  @Override
  public List<List<DueDelivery>> settleAndClaim(List<Delivered> outcomes, List<DueDelivery> unattempted,
      String replica, int limit, int chain, Duration lease) {
    return deliveries.claim(outcomes, unattempted, replica, limit, chain, lease);
  }

  @Override
  public void failed(DueDelivery d, String replica, Integer status, String error, Duration took, Instant retryAt,
      Instant disableBefore) {
    deliveries.failed(d, replica, status, error, took, retryAt, disableBefore);
  }

  @Override
  public long prune(Instant before) {
    return deliveries.prune(before);
  }

  @Override
  public Map<String, Long> countsByState() {
    return deliveries.countsByState();
  }

  private static WebhookEndpointsRecord row(DSLContext tx, String id) {
    WebhookEndpointsRecord r = tx.selectFrom(WEBHOOK_ENDPOINTS).where(WEBHOOK_ENDPOINTS.ID.eq(id)).fetchOne();
    if (r == null) {
      throw new NoSuchWebhookException(id);
    }
    return r;
  }

  static List<WebhookEndpoint> load(DSLContext dsl) {
    return dsl.selectFrom(WEBHOOK_ENDPOINTS).orderBy(WEBHOOK_ENDPOINTS.CREATED_AT, WEBHOOK_ENDPOINTS.ID)
        .fetch(WebhookTable::view);
  }

  static WebhookEndpoint view(WebhookEndpointsRecord r) {
    return new WebhookEndpoint(r.getId(), URI.create(r.getUrl()), r.getDescription(),
        Arrays.asList(r.getEventTypes().split(",")), r.getEnabled(), Instant.ofEpochMilli(r.getCreatedAt()),
        Instant.ofEpochMilli(r.getUpdatedAt()),
        r.getFailingSince() == null ? null : Instant.ofEpochMilli(r.getFailingSince()), r.getDisabledReason());
  }

  private static String url(URI url) {
    if (url == null) {
      throw new InvalidInputException("url", "is required");
    }
    String scheme = url.getScheme();
    if (!url.isAbsolute() || !("https".equals(scheme) || "http".equals(scheme)) || url.getHost() == null) {
      throw new InvalidInputException("url", "must be an absolute http or https URL with a host");
    }
    if (url.getRawUserInfo() != null || url.getRawFragment() != null) {
      throw new InvalidInputException("url", "must not hold a user name, password or fragment");
    }
    String s = url.toString();
    if (s.length() > MAX_URL) {
      throw new InvalidInputException("url", "must be at most " + MAX_URL + " characters");
    }
    return s;
  }

  private static String description(String d) {
    String s = d == null ? "" : d.strip();
    if (s.length() > 400) {
      throw new InvalidInputException("description", "must be at most 400 characters");
    }
    return s;
  }

  private static List<String> types(List<String> types) {
    if (types == null || types.isEmpty()) {
      throw new InvalidInputException("events", "must name at least one event type, or *");
    }
    for (int i = 0; i < types.size(); i++) {
      String t = types.get(i);
      if (!"*".equals(t) && !WebhookEvent.TYPES.contains(t)) {
        throw new InvalidInputException("events[" + i + "]", "'" + t + "' is not an event type; use one of "
            + String.join(", ", WebhookEvent.TYPES) + " or *");
      }
    }
    return types.stream().distinct().toList();
  }

  private static String newSecret() {
    byte[] key = new byte[32];
    RANDOM.nextBytes(key);
    return "whsec_" + Base64.getEncoder().encodeToString(key);
  }
}
