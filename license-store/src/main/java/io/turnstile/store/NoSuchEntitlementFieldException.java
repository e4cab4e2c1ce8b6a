package io.turnstile.store;

/** The application has no entitlement field with this name. */
public final class NoSuchEntitlementFieldException extends StoreException {
  private final String application;
  private final String name;

  public NoSuchEntitlementFieldException(String application, String name) {
    super("application '" + application + "' has no entitlement field '" + name + "'");
    this.application = application;
    this.name = name;
  }

  public String application() {
    return application;
  }

  public String name() {
    return name;
  }
}
