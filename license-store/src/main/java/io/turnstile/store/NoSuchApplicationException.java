package io.turnstile.store;

/** No configured application with this name. */
public final class NoSuchApplicationException extends StoreException {
  private final String name;

  public NoSuchApplicationException(String name) {
    super("no application '" + name + "'");
    this.name = name;
  }

  public String name() {
    return name;
  }
}
