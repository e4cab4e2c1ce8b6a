package io.turnstile.store;

/**
 * Who authenticated: a license key ({@code licenseId} set) or a customer-level key ({@code
 * licenseId} null).
 *
 * @param username what the client logged in with (license id or customer id)
 * @param credentialId identifies the exact key; it changes when the key is rotated, so tokens and
 *     refresh tokens that carry it stop working with the old key
 */
public record Principal(String username, CustomerId customerId, LicenseId licenseId, String credentialId) {
  public boolean isCustomerKey() {
    return licenseId == null;
  }
}
