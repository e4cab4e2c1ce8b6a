package io.turnstile.store;

/** Whether a license grants anything right now. */
public enum LicenseState {
  ACTIVE,
  EXPIRED,
  REVOKED;

  public String wireName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
