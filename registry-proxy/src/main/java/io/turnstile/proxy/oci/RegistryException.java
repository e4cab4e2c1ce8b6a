package io.turnstile.proxy.oci;

/** A registry request failure on its way to becoming an OCI error answer. */
public final class RegistryException extends Exception {
  private final RegistryError error;
  private final String detail;

  public RegistryException(RegistryError error, String message) {
    this(error, message, null);
  }

  public RegistryException(RegistryError error, String message, String detail) {
    super(message, null, false, false);
    this.error = error;
    this.detail = detail;
  }

  public RegistryError error() {
    return error;
  }

  public String detail() {
    return detail;
  }
}
