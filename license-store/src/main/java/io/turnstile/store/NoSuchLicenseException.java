package io.turnstile.store;

/** No license has this id. */
public final class NoSuchLicenseException extends StoreException {
  private final String licenseId;

  public NoSuchLicenseException(String licenseId) {
    super("no license " + licenseId);
    this.licenseId = licenseId;
  }

  public String licenseId() {
    return licenseId;
  }
}
