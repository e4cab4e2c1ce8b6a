package io.turnstile.store;

/**
 * Who authenticated: a license key ({@code licenseId} set), a customer-level key ({@code
 * licenseId} null) or a pull token of one license ({@code licenseId} set, {@code credentialId} the
 * token's id, {@code ptk_...}).
 *
 * @param username what the client logged in with (license id or customer id)
 * @param credentialId identifies the exact key; it changes when the key is rotated, so tokens and
 *     refresh tokens that carry it stop working with the old key
 */
public record Principal(String username, CustomerId customerId, LicenseId licenseId, String credentialId) {
  public boolean isCustomerKey() {
    return licenseId == null;
  }

  /** Whether this is a pull token: then {@link #credentialId} is the token's id. */
  public boolean isPullToken() {
    return credentialId != null && credentialId.startsWith(Keys.PULL_TOKEN_ID_PREFIX);
  }
}
