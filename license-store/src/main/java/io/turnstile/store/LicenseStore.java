package io.turnstile.store;

import java.util.List;

/**
 * The license store: customers, their licenses and keys. Every method is blocking and runs in one
 * transaction; a change is visible in {@link #snapshot()} when the method returns. Every change is
 * recorded as an event naming {@code actor}.
 */
public interface LicenseStore extends AutoCloseable {
  /** The current in-memory view; cheap, never touches the database. */
  Snapshot snapshot();

  /**
   * The single authorization entry point: which applications, repositories and tags {@code
   * username}/{@code secret} grant right now. Reads only the in-memory snapshot.
   */
  default AuthResult authorize(String username, String secret) {
    return snapshot().authenticate(username, secret, java.time.Instant.now());
  }

  Customer createCustomer(String name, String actor);

  List<Customer> customers();

  Customer customer(CustomerId id);

  /** Deletes a customer: its keys and licenses are revoked; the records stay for history. */
  void deleteCustomer(CustomerId id, String actor);

  /** A new customer-level key; earlier keys stay valid until revoked. */
  IssuedKey createCustomerKey(CustomerId id, String actor);

  List<CustomerKey> customerKeys(CustomerId id);

  void revokeCustomerKey(CustomerId id, String keyId, String actor);

  IssuedKey createLicense(NewLicense license, String actor);

  /** All licenses, or those of one customer when {@code customer} is not null. */
  List<License> licenses(CustomerId customer);

  License license(LicenseId id);

  List<LicenseEvent> history(LicenseId id);

  License update(LicenseId id, LicensePatch patch, String actor);

  License grantVersions(LicenseId id, List<String> versions, String actor);

  License revokeVersion(LicenseId id, String version, String actor);

  IssuedKey rotateKey(LicenseId id, String actor);

  /** Revokes the license as a whole; the record stays for history. */
  License revokeLicense(LicenseId id, String actor);

  @Override
  void close();
}
