package io.turnstile.store;

/** The license does not grant this version. */
public final class NoSuchVersionException extends StoreException {
  private final String version;

  public NoSuchVersionException(LicenseId license, String version) {
    super("license " + license + " does not grant version " + version);
    this.version = version;
  }

  public String version() {
    return version;
  }
}
