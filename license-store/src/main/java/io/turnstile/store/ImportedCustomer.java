package io.turnstile.store;

import java.util.List;

/**
 * A customer made by an import and the keys of its licenses, in the order the licenses were
 * listed. As with {@link LicenseStore#createLicense}, this is the only time the keys are available.
 */
public record ImportedCustomer(Customer customer, List<IssuedKey> licenseKeys) {
  public ImportedCustomer {
    licenseKeys = List.copyOf(licenseKeys);
  }
}
