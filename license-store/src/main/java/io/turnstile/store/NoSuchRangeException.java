package io.turnstile.store;

/** The license does not grant this range. */
public final class NoSuchRangeException extends StoreException {
  private final String range;

  public NoSuchRangeException(LicenseId license, String range) {
    super("license " + license + " does not grant range " + range);
    this.range = range;
  }

  public String range() {
    return range;
  }
}
