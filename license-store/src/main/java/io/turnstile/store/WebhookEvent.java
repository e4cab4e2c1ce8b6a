package io.turnstile.store;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * An event on its way into the outbox, for {@link WebhookPayloads} to turn into the JSON sent.
 *
 * @param customer the customer it concerns, or null
 * @param license the license it concerns as it is after the change, or null
 * @param details what else the event says, e.g. {@code changes} of a {@code license.updated} or the
 *     {@code versions} granted; never a key or a password
 */
public record WebhookEvent(String id, String type, Instant at, Customer customer, License license,
    Map<String, List<String>> details) {
  public static final String CUSTOMER_CREATED = "customer.created";
  public static final String CUSTOMER_DELETED = "customer.deleted";
  public static final String CUSTOMER_UPDATED = "customer.updated";
  public static final String LICENSE_CREATED = "license.created";
  public static final String LICENSE_UPDATED = "license.updated";
  public static final String VERSION_GRANTED = "license.version_granted";
  public static final String VERSION_REVOKED = "license.version_revoked";
  public static final String RANGE_GRANTED = "license.range_granted";
  public static final String RANGE_WITHDRAWN = "license.range_withdrawn";
  public static final String KEY_ROTATED = "license.key_rotated";
  public static final String LICENSE_REVOKED = "license.revoked";
  public static final String LICENSE_EXPIRING = "license.expiring";
  public static final String LICENSE_EXPIRED = "license.expired";
  public static final String PULL_FIRST_OF_VERSION = "pull.first_of_version";
  /** A license has used 80 % of a fair-use limit in the current period. */
  public static final String LIMIT_WARNING = "license.limit_warning";
  /** A license has used all of a fair-use limit in the current period. */
  public static final String LIMIT_REACHED = "license.limit_reached";
  public static final String TEST = "webhook.test";

  /** Every type an endpoint can ask for. */
  public static final List<String> TYPES = List.of(CUSTOMER_CREATED, CUSTOMER_DELETED, CUSTOMER_UPDATED, LICENSE_CREATED,
      LICENSE_UPDATED, VERSION_GRANTED, VERSION_REVOKED, RANGE_GRANTED, RANGE_WITHDRAWN, KEY_ROTATED,
      LICENSE_REVOKED, LICENSE_EXPIRING, LICENSE_EXPIRED, PULL_FIRST_OF_VERSION, LIMIT_WARNING, LIMIT_REACHED, TEST);

  public WebhookEvent {
    details = Map.copyOf(details);
  }
}
