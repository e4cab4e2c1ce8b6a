package io.turnstile.store;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Webhook endpoints, the outbox and its deliveries, kept in the store's database. Every change the
 * store records that an enabled endpoint wants becomes an outbox event in the same transaction; a
 * change that rolls back leaves none. Its payload and one delivery per endpoint that wants it are
 * added after the commit, by {@link #claim}, so the change's own transaction stays small. Blocking:
 * call off the event loops.
 */
public interface Webhooks {
  /** Sets how events become JSON; until it is called a payload names only the event and its subject. */
  void renderWith(WebhookPayloads payloads);

  /** Whether some endpoint is enabled, from memory: when none is, no event is written at all. */
  boolean active();

  /**
   * Whether endpoint {@code id} is enabled and still has {@code url}, from memory (as of the last
   * endpoint change this replica followed): a run of deliveries stops when it is not.
   */
  boolean sendsTo(String id, URI url);

  /**
   * Adds an endpoint with a new signing secret.
   *
   * @param eventTypes types from {@link WebhookEvent#TYPES}, or {@code *}; not empty
   */
  IssuedWebhookSecret create(URI url, String description, List<String> eventTypes, boolean enabled, String actor);

  List<WebhookEndpoint> endpoints();

  /** @throws NoSuchWebhookException when there is none */
  WebhookEndpoint endpoint(String id);

  /** Changes what is given (null: left as it is). Enabling an endpoint clears its failure record. */
  WebhookEndpoint update(String id, URI url, String description, List<String> eventTypes, Boolean enabled,
      String actor);

  /** Deletes an endpoint and its deliveries. */
  void delete(String id, String actor);

  /** A new signing secret; the old one stops signing at once. */
  IssuedWebhookSecret rotateSecret(String id, String actor);

  /** Queues a {@code webhook.test} event for this endpoint only. @return the event's id */
  String sendTest(String id, String actor);

  /** The endpoint's most recent deliveries, newest first, at most {@code limit}. */
  List<WebhookDelivery> deliveries(String endpointId, int limit);

  /** Queues a delivery again, as a new attempt series of the same event (same {@code webhook-id}). */
  WebhookDelivery redeliver(String endpointId, String deliveryId, String actor);

  /**
   * Records that license {@code id}, expiring at {@code expiresAt}, came within {@code days} days of
   * it (0: it expired) and queues {@code license.expiring} or {@code license.expired}, once per
   * license, expiry and threshold whichever replica asks. Thresholds in {@code alsoPassed} are
   * recorded as sent without an event of their own: a license made to expire in 6 days is warned at
   * 7 days, not at 30 as well.
   *
   * @return whether this call queued the event
   */
  boolean noticeExpiry(LicenseId id, Instant expiresAt, int days, List<Integer> alsoPassed);

  /** The thresholds already recorded for license {@code id} and its expiry {@code expiresAt}. */
  List<Integer> expiryNotices(LicenseId id, Instant expiresAt);

  /**
   * Queues {@code pull.first_of_version} when license {@code id} had not pulled {@code version}
   * before {@code at} (by the pull audit log): once per license and version, whichever replica asks.
   *
   * @return whether this call queued the event
   */
  boolean firstPull(LicenseId id, String repository, String version, Instant at);

  /**
   * Queues {@code license.limit_reached} ({@code reached}) or {@code license.limit_warning} for the
   * counter {@code key}, once per license, limit, period and level whichever replica asks; the
   * event is dated by the store's clock.
   *
   * @param used the use seen, for the payload
   * @param limit the limit in force, for the payload
   * @param enforced whether the limit refuses, for the payload
   * @return whether this call queued the event
   */
  boolean noticeLimit(Usage.Key key, boolean reached, long used, long limit, boolean enforced);

  /**
   * Fans out the events written since the last call (their payloads, one delivery per endpoint that
   * wants each), then leases up to {@code limit} deliveries that are due (none when it is 0), each
   * the oldest pending one of its customer and endpoint, to {@code replica} until {@code lease} from
   * now. A delivery leased by another replica is taken only once that lease has ended; none is due
   * while an earlier event waits to be fanned out.
   */
  List<DueDelivery> claim(String replica, int limit, Duration lease);

  /** Records a successful attempt, while the lease holds. */
  void delivered(DueDelivery d, String replica, int status, Duration took);

  /** A successful attempt, for {@link #deliveredAll}. */
  record Delivered(DueDelivery delivery, int status, Duration took) {}

  /** Records successful attempts in one transaction, each while its lease holds. */
  void deliveredAll(java.util.List<Delivered> outcomes, String replica);

  /**
   * {@link #deliveredAll}, lets go of {@code unattempted} (leased, never tried: due again at once),
   * then fans out and leases like {@link #claim}, in one write when any of it has work: a poller
   * takes the store's writer once per look. Each of the at most {@code limit} lists answered is a
   * run of up to {@code chain} deliveries of one customer to one endpoint, oldest first, leased
   * together, to be sent one after another: a burst of one customer's events takes one look, not
   * one look each.
   */
  List<List<DueDelivery>> settleAndClaim(List<Delivered> outcomes, List<DueDelivery> unattempted, String replica,
      int limit, int chain, Duration lease);

  /**
   * Records a failed attempt, while the lease holds: retried at {@code retryAt}, or marked failed
   * when that is null. The endpoint's failure record starts now unless it has one; when it began
   * before {@code disableBefore}, the endpoint is disabled.
   */
  void failed(DueDelivery d, String replica, Integer status, String error, Duration took, Instant retryAt,
      Instant disableBefore);

  /**
   * Deletes deliveries delivered or failed before {@code before}, and events left with none.
   *
   * @return how many deliveries were deleted
   */
  long prune(Instant before);

  /** Deliveries by state ({@code pending}, {@code delivered}, {@code failed}), for the metrics. */
  java.util.Map<String, Long> countsByState();
}
