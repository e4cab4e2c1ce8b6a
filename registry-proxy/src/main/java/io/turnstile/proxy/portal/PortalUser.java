package io.turnstile.proxy.portal;

import io.turnstile.store.CustomerId;
import io.turnstile.store.LicenseId;
import io.turnstile.store.Principal;

/**
 * Who a portal session stands for: the key that signed in, as {@code docker login} names it. No
 * key is kept, only the id of the credential, which changes when the key is rotated.
 *
 * @param licenseId the license of a license key; null for a customer key
 */
public record PortalUser(String username, CustomerId customerId, LicenseId licenseId, String credentialId) {
  static PortalUser of(Principal p) {
    return new PortalUser(p.username(), p.customerId(), p.licenseId(), p.credentialId());
  }
}
