package io.turnstile.store;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An immutable, in-memory view of every live customer, license and key. The store replaces it
 * after each change; readers never touch the database.
 */
public final class Snapshot {
  /** One customer with its keys and licenses, as loaded from the store. */
  public record CustomerEntry(Customer customer, List<KeyEntry> keys, List<LicenseEntry> licenses) {
    public CustomerEntry {
      keys = List.copyOf(keys);
      licenses = List.copyOf(licenses);
    }
  }

  /** A live customer key: its id and the SHA-256 of its secret. */
  public record KeyEntry(String keyId, String keyHash) {}

  /** A license and the SHA-256 of its key. */
  public record LicenseEntry(License license, String keyHash) {}

  /** A login key and what it stands for. */
  private abstract static class Credential {
    final Principal principal;

    Credential(Principal principal) {
      this.principal = principal;
    }

    abstract AuthResult access(Instant now);
  }

  private static final class LicenseCredential extends Credential {
    final License license;
    final Access access;

    LicenseCredential(License license, Catalog catalog) {
      super(new Principal(license.id().value(), license.customerId(), license.id(), license.keyId()));
      this.license = license;
      this.access = new Access(principal, List.of(license), catalog);
    }

    @Override
    AuthResult access(Instant now) {
      return switch (license.state(now)) {
        case ACTIVE -> access;
        case EXPIRED -> Refusal.EXPIRED;
        case REVOKED -> Refusal.REVOKED;
      };
    }
  }

  private static final class CustomerCredential extends Credential {
    final List<License> unrevoked;
    final Instant firstExpiry;
    final Catalog catalog;
    final Access whileNoneExpired;

    CustomerCredential(CustomerEntry entry, String keyId, Catalog catalog) {
      super(new Principal(entry.customer().id().value(), entry.customer().id(), null, keyId));
      this.catalog = catalog;
      List<License> live = new ArrayList<>();
      Instant first = Instant.MAX;
      for (LicenseEntry l : entry.licenses()) {
        if (l.license().revokedAt() == null) {
          live.add(l.license());
          if (l.license().expiresAt() != null && l.license().expiresAt().isBefore(first)) {
            first = l.license().expiresAt();
          }
        }
      }
      this.unrevoked = List.copyOf(live);
      this.firstExpiry = first;
      this.whileNoneExpired = new Access(principal, unrevoked, catalog);
    }

    @Override
    AuthResult access(Instant now) {
      if (now.isBefore(firstExpiry)) {
        return whileNoneExpired;
      }
      List<License> valid = new ArrayList<>(unrevoked.size());
      for (License l : unrevoked) {
        if (l.isValidAt(now)) {
          valid.add(l);
        }
      }
      return new Access(principal, valid, catalog);
    }
  }

  private final Catalog catalog;
  private final Map<CustomerId, CustomerEntry> customers;
  private final Map<String, Credential> byKeyHash;
  private final Map<String, Credential> byCredentialId;
  private final Map<LicenseId, License> licenses;

  /** A snapshot of {@code customers} (live customers only). */
  public Snapshot(Catalog catalog, Map<CustomerId, CustomerEntry> customers) {
    this.catalog = catalog;
    this.customers = new HashMap<>(customers);
    int size = 0;
    for (CustomerEntry c : customers.values()) {
      size += c.licenses().size() + c.keys().size();
    }
    this.byKeyHash = new HashMap<>(capacity(size));
    this.byCredentialId = new HashMap<>(capacity(size));
    this.licenses = new HashMap<>(capacity(size));
    for (CustomerEntry c : customers.values()) {
      index(c);
    }
  }

  private Snapshot(Snapshot base) {
    this.catalog = base.catalog;
    this.customers = new HashMap<>(base.customers);
    this.byKeyHash = new HashMap<>(base.byKeyHash);
    this.byCredentialId = new HashMap<>(base.byCredentialId);
    this.licenses = new HashMap<>(base.licenses);
  }

  private void index(CustomerEntry c) {
    for (LicenseEntry l : c.licenses()) {
      Credential cred = new LicenseCredential(l.license(), catalog);
      byKeyHash.put(l.keyHash(), cred);
      byCredentialId.put(l.license().keyId(), cred);
      licenses.put(l.license().id(), l.license());
    }
    for (KeyEntry k : c.keys()) {
      Credential cred = new CustomerCredential(c, k.keyId(), catalog);
      byKeyHash.put(k.keyHash(), cred);
      byCredentialId.put(k.keyId(), cred);
    }
  }

  private void unindex(CustomerEntry c) {
    for (LicenseEntry l : c.licenses()) {
      byKeyHash.remove(l.keyHash());
      byCredentialId.remove(l.license().keyId());
      licenses.remove(l.license().id());
    }
    for (KeyEntry k : c.keys()) {
      byKeyHash.remove(k.keyHash());
      byCredentialId.remove(k.keyId());
    }
  }

  private static int capacity(int entries) {
    return (int) (entries / 0.75f) + 1;
  }

  public static Snapshot empty(Catalog catalog) {
    return new Snapshot(catalog, Map.of());
  }

  /**
   * A copy with one customer's entry replaced ({@code entry} null: the customer is gone). Only that
   * customer's credentials are rebuilt; the rest are shared with this snapshot.
   */
  public Snapshot with(CustomerId id, CustomerEntry entry) {
    Snapshot next = new Snapshot(this);
    CustomerEntry old = next.customers.remove(id);
    if (old != null) {
      next.unindex(old);
    }
    if (entry != null) {
      next.customers.put(id, entry);
      next.index(entry);
    }
    return next;
  }

  /**
   * Checks login credentials: {@code username} is a license id or a customer id, {@code secret}
   * the matching key. Unknown user, wrong key and a rotated-away key are all {@link
   * Refusal#BAD_CREDENTIALS}.
   */
  public AuthResult authenticate(String username, String secret, Instant now) {
    if (username == null || secret == null) {
      return Refusal.BAD_CREDENTIALS;
    }
    Credential cred = byKeyHash.get(Keys.hash(secret));
    if (cred == null || !cred.principal.username().equals(username)) {
      return Refusal.BAD_CREDENTIALS;
    }
    return cred.access(now);
  }

  /**
   * The live access of an already authenticated key, e.g. one named in a token: refused as soon as
   * the key is rotated, the license revoked or expired, or the customer deleted.
   */
  public AuthResult accessFor(String credentialId, Instant now) {
    Credential cred = credentialId == null ? null : byCredentialId.get(credentialId);
    return cred == null ? Refusal.BAD_CREDENTIALS : cred.access(now);
  }

  /** The license with this id, if its customer is live. */
  public License license(LicenseId id) {
    return licenses.get(id);
  }

  public Collection<License> licenses() {
    return Collections.unmodifiableCollection(licenses.values());
  }

  public Catalog catalog() {
    return catalog;
  }
}
