package io.turnstile.store;

import java.util.List;

/**
 * The license store: customers, their licenses and keys. Every method that reads or writes the
 * database is blocking and runs in one transaction; a change is visible in {@link #snapshot()} when
 * the method returns. Every change is recorded as an event naming {@code actor}.
 *
 * <p>Authorization goes through {@link #authorize} (a login) and {@link #authorizeCredential} (a
 * token naming a key): both read only the in-memory snapshot and decide expiry by the store's clock,
 * the one it was opened with.
 */
public interface LicenseStore extends AutoCloseable {
  /** The current in-memory view; cheap, never touches the database. */
  Snapshot snapshot();

  /**
   * What {@code username}/{@code secret} grant right now, by the store's clock: the login entry
   * point. See {@link Snapshot#authenticate} for the answers. Reads only the in-memory snapshot.
   */
  AuthResult authorize(String username, String secret);

  /**
   * What the key {@code credentialId} grants right now, by the store's clock: the entry point for a
   * token or refresh token that names an already authenticated key. See {@link Snapshot#accessFor}
   * for the answers. Reads only the in-memory snapshot.
   */
  AuthResult authorizeCredential(String credentialId);

  /**
   * Calls {@code listener} after each new snapshot: this process's writes and, with a shared
   * database, every other replica's write once the change feed has caught up with it. It runs on the
   * thread that made the snapshot, in commit order, while later writes wait: it must only pass the
   * news on (a listener that throws is logged and kept).
   *
   * @return closing it stops the calls
   */
  Subscription onSnapshot(Runnable listener);

  /** A registration that {@link #close} ends; closing twice does nothing. */
  interface Subscription extends AutoCloseable {
    @Override
    void close();
  }

  /** Counters of the store's work since it was opened. */
  StoreStats stats();

  /** The pull audit log, kept in the same database. */
  PullLog pulls();

  /** The customers' pull tokens, each of one license; part of the snapshot. */
  PullTokens pullTokens();

  /** The vendor team's personal API tokens, kept in the same database. */
  ApiTokens apiTokens();

  /** Console and portal sessions, kept in the same database so that every replica finds them. */
  WebSessions webSessions();

  /** Idempotency keys of admin writes, kept in the same database. */
  IdempotencyKeys idempotencyKeys();

  /** The vendor's activity log: every recorded change and sign-in. */
  ActivityLog activity();
  /** Aggregates over the pull audit log, for the fleet view. */
  PullStats pullStats();

  /** Webhook endpoints, the outbox of events for them, and its deliveries. */
  Webhooks webhooks();

  /**
   * The entitlement fields defined through the API; every application's fields, configured ones
   * too, are read from {@link Snapshot#entitlements()}.
   */
  EntitlementDefinitions entitlementDefinitions();

  /** Fair-use counters shared by the replicas, and each license's own limits. */
  Usage usage();

  Customer createCustomer(String name, String actor);

  List<Customer> customers();

  Customer customer(CustomerId id);

  /** Deletes a customer: its keys and licenses are revoked; the records stay for history. */
  void deleteCustomer(CustomerId id, String actor);

  /** A new customer-level key; earlier keys stay valid until revoked. */
  IssuedKey createCustomerKey(CustomerId id, String actor);

  List<CustomerKey> customerKeys(CustomerId id);

  void revokeCustomerKey(CustomerId id, String keyId, String actor);

  /** Renames a live customer; recorded as {@code customer.renamed}. */
  Customer renameCustomer(CustomerId id, String name, String actor);

  IssuedKey createLicense(NewLicense license, String actor);

  /**
   * Creates customers with their licenses in one transaction, all of them or, when any entry is
   * invalid, none: for moving a vendor's customers over from another system. The rows go in as
   * batches and the snapshot is rebuilt once at the end, so thousands of licenses take seconds, not
   * a transaction each; other writes wait meanwhile. Events are recorded as by {@link
   * #createCustomer} and {@link #createLicense}. An invalid entry is named in the exception's field,
   * e.g. {@code customers[3].licenses[0].versions[1]}.
   *
   * @return the new customers and their license keys, in the order given
   */
  List<ImportedCustomer> importCustomers(List<CustomerImport> customers, String actor);

  /** All licenses, or those of one customer when {@code customer} is not null. */
  List<License> licenses(CustomerId customer);

  License license(LicenseId id);

  List<LicenseEvent> history(LicenseId id);

  License update(LicenseId id, LicensePatch patch, String actor);

  /**
   * Moves a live license to another live customer, with its key, grants and pull tokens; the old
   * customer's key stops covering it at once. Recorded in the license's history as {@code
   * license.moved} (sent to webhooks as {@code license.updated} with {@code customerId} changed).
   */
  License moveLicense(LicenseId id, CustomerId to, String actor);

  License grantVersions(LicenseId id, List<String> versions, String actor);

  License revokeVersion(LicenseId id, String version, String actor);

  /**
   * Grants ranges ({@code *}: every version). A range already granted takes the given {@code
   * includePrerelease}. Each range is checked and parsed here, once; an invalid one is an {@link
   * InvalidInputException} naming it ({@code ranges[1]}).
   */
  License grantRanges(LicenseId id, List<RangeGrant> ranges, String actor);

  /**
   * Withdraws a range, written as granted or in any spacing that normalises to it.
   *
   * @throws NoSuchRangeException when the license does not grant it
   */
  License revokeRange(LicenseId id, String range, String actor);

  /**
   * Records that Turnstile saw these tags of {@code repository} (customer-facing name) now, for
   * those the store has no sighting of yet; a sighting already recorded, by this replica or
   * another, is never moved. Afterwards {@link Snapshot#tagsSeen()} knows the stored time of every
   * one of them. Blocking: call it off the event loops.
   *
   * @return how many sightings were new
   */
  int recordTagsSeen(String repository, java.util.Collection<String> tags);

  IssuedKey rotateKey(LicenseId id, String actor);

  /** Revokes the license as a whole; the record stays for history. */
  License revokeLicense(LicenseId id, String actor);

  /** The signing keys of {@code purpose} kept in the store: token keys and license keys apart. */
  StoredKeys keys(KeyPurpose purpose);

  @Override
  void close();
}
