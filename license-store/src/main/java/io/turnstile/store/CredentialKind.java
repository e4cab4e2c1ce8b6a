package io.turnstile.store;

/** Which kind of key a client pulled with; the {@link Principal} knows. */
public enum CredentialKind {
  /** A license's own key: {@code docker login -u lic_...}. */
  LICENSE_KEY("license"),
  /** A customer-level key covering all of the customer's licenses: {@code docker login -u cus_...}. */
  CUSTOMER_KEY("customer"),
  /** A pull token of one license: {@code docker login -u lic_... -p tpt_...}. */
  PULL_TOKEN("token");

  private final String wireName;

  CredentialKind(String wireName) {
    this.wireName = wireName;
  }

  /** How the admin API and the database write it: {@code license}, {@code customer} or {@code token}. */
  public String wireName() {
    return wireName;
  }

  public static CredentialKind of(Principal principal) {
    return principal.isPullToken() ? PULL_TOKEN : principal.isCustomerKey() ? CUSTOMER_KEY : LICENSE_KEY;
  }

  /** The kind written {@code name}; null for an unknown name. */
  public static CredentialKind fromWireName(String name) {
    for (CredentialKind k : values()) {
      if (k.wireName.equals(name)) {
        return k;
      }
    }
    return null;
  }
}
