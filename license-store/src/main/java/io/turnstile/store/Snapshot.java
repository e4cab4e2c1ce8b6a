package io.turnstile.store;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An immutable, in-memory view of every live customer, license and key. The store replaces it
 * after each change with a copy that shares all but the changed customer's part; readers never
 * touch the database. {@link LicenseStore#authorize} and {@link LicenseStore#authorizeCredential}
 * ask it with the store's clock.
 */
public final class Snapshot {
  /** One customer with its keys, licenses and live pull tokens, as loaded from the store. */
  public record CustomerEntry(Customer customer, List<KeyEntry> keys, List<LicenseEntry> licenses,
      List<TokenEntry> tokens) {
    public CustomerEntry {
      keys = List.copyOf(keys);
      licenses = List.copyOf(licenses);
      tokens = List.copyOf(tokens);
    }

    /** A customer without pull tokens. */
    public CustomerEntry(Customer customer, List<KeyEntry> keys, List<LicenseEntry> licenses) {
      this(customer, keys, licenses, List.of());
    }
  }

  /** A pull token not revoked, with the SHA-256 of its secret. */
  public record TokenEntry(PullToken token, String tokenHash) {}

  /** A live customer key: its id and the SHA-256 of its secret. */
  public record KeyEntry(String keyId, String keyHash) {}

  /** A license and the SHA-256 of its key. */
  public record LicenseEntry(License license, String keyHash) {}

  private final Catalog catalog;
  private final EntitlementFields entitlements;
  private final TagsSeen seen;
  private final ShardedMap<CustomerId, CustomerEntry> customers;
  private final ShardedMap<String, Credential> byKeyHash;
  private final ShardedMap<String, Credential> byCredentialId;
  private final ShardedMap<LicenseId, License> licenses;

  /** A snapshot of {@code customers} (live customers only), with no tag seen yet. */
  public Snapshot(Catalog catalog, Map<CustomerId, CustomerEntry> customers) {
    this(catalog, new TagsSeen(), customers);
  }

  /**
   * A snapshot of {@code customers} (live customers only); licenses kept after their expiry grant
   * the tags {@code seen} dates before it. {@code seen} is shared with every later snapshot.
   */
  public Snapshot(Catalog catalog, TagsSeen seen, Map<CustomerId, CustomerEntry> customers) {
    this(new Editor(empty(catalog, seen)).putAll(customers));
  }

  private Snapshot(Catalog catalog, TagsSeen seen) {
    this.catalog = catalog;
    this.entitlements = EntitlementFields.of(catalog);
    this.seen = seen;
    this.customers = ShardedMap.empty();
    this.byKeyHash = ShardedMap.empty();
    this.byCredentialId = ShardedMap.empty();
    this.licenses = ShardedMap.empty();
  }

  private Snapshot(Editor edited) {
    this.catalog = edited.catalog;
    this.entitlements = edited.entitlements;
    this.seen = edited.seen;
    this.customers = edited.customers.build();
    this.byKeyHash = edited.byKeyHash.build();
    this.byCredentialId = edited.byCredentialId.build();
    this.licenses = edited.licenses.build();
  }

  /**
   * The changes that make the next snapshot from a base one. Each map is sharded: only the shards
   * holding the changed customer's entries are copied, every other shard is shared with the base.
   */
  private static final class Editor {
    final Catalog catalog;
    EntitlementFields entitlements;
    final TagsSeen seen;
    final ShardedMap.Editor<CustomerId, CustomerEntry> customers;
    final ShardedMap.Editor<String, Credential> byKeyHash;
    final ShardedMap.Editor<String, Credential> byCredentialId;
    final ShardedMap.Editor<LicenseId, License> licenses;

    Editor(Snapshot base) {
      this.catalog = base.catalog;
      this.entitlements = base.entitlements;
      this.seen = base.seen;
      this.customers = base.customers.edit();
      this.byKeyHash = base.byKeyHash.edit();
      this.byCredentialId = base.byCredentialId.edit();
      this.licenses = base.licenses.edit();
    }

    Editor putAll(Map<CustomerId, CustomerEntry> entries) {
      int licenseCount = 0;
      int keyCount = 0;
      for (CustomerEntry e : entries.values()) {
        licenseCount += e.licenses().size();
        keyCount += e.keys().size();
      }
      customers.expect(entries.size());
      byKeyHash.expect(licenseCount + keyCount);
      byCredentialId.expect(licenseCount + keyCount);
      licenses.expect(licenseCount);
      entries.forEach(this::replace);
      return this;
    }

    /** Replaces customer {@code id}'s entry and credentials; {@code entry} null removes them. */
    Editor replace(CustomerId id, CustomerEntry entry) {
      CustomerEntry old = customers.remove(id);
      if (old != null) {
        unindex(old);
      }
      if (entry != null) {
        customers.put(id, entry);
        index(entry);
      }
      return this;
    }

    private void index(CustomerEntry c) {
      for (LicenseEntry l : c.licenses()) {
        Credential cred = Credential.ofLicense(l.license(), catalog, seen);
        byKeyHash.put(l.keyHash(), cred);
        byCredentialId.put(l.license().keyId(), cred);
        licenses.put(l.license().id(), l.license());
      }
      for (KeyEntry k : c.keys()) {
        Credential cred = Credential.ofCustomerKey(c, k.keyId(), catalog, seen);
        byKeyHash.put(k.keyHash(), cred);
        byCredentialId.put(k.keyId(), cred);
      }
      Map<LicenseId, License> byId = new java.util.HashMap<>();
      c.licenses().forEach(l -> byId.put(l.license().id(), l.license()));
      for (TokenEntry t : c.tokens()) {
        License license = byId.get(t.token().licenseId());
        if (license != null) {
          Credential cred = Credential.ofPullToken(t.token(), license, catalog, seen);
          byKeyHash.put(t.tokenHash(), cred);
          byCredentialId.put(t.token().id(), cred);
        }
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
      for (TokenEntry t : c.tokens()) {
        byKeyHash.remove(t.tokenHash());
        byCredentialId.remove(t.token().id());
      }
    }
  }

  public static Snapshot empty(Catalog catalog) {
    return empty(catalog, new TagsSeen());
  }

  public static Snapshot empty(Catalog catalog, TagsSeen seen) {
    return new Snapshot(catalog, seen);
  }

  /**
   * A copy with one customer's entry replaced ({@code entry} null: the customer is gone). Only that
   * customer's credentials are rebuilt, and only the map shards holding its entries are copied: the
   * cost follows the customer's size, not the store's.
   */
  public Snapshot with(CustomerId id, CustomerEntry entry) {
    return new Snapshot(new Editor(this).replace(id, entry));
  }

  /**
   * A copy whose entitlement fields are {@code fields}; everything else is shared with this one.
   * This one itself when they are the same.
   */
  public Snapshot withEntitlements(EntitlementFields fields) {
    if (fields == entitlements) {
      return this;
    }
    Editor edited = new Editor(this);
    edited.entitlements = java.util.Objects.requireNonNull(fields, "fields");
    return new Snapshot(edited);
  }

  /** How many map shards this snapshot shares with {@code other}, of {@link #mapShards()}: for tests. */
  int sharedShards(Snapshot other) {
    return customers.sharedShards(other.customers) + byKeyHash.sharedShards(other.byKeyHash)
        + byCredentialId.sharedShards(other.byCredentialId) + licenses.sharedShards(other.licenses);
  }

  /** The number of map shards a snapshot holds. */
  static int mapShards() {
    return 4 * ShardedMap.SHARDS;
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
    if (cred == null || !cred.principal().username().equals(username)) {
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

  /**
   * The pull tokens of {@code license} that are not revoked, oldest first, without their last use
   * ({@link PullTokens#list} adds it); empty for an unknown license or a deleted customer.
   */
  public List<PullToken> tokensOf(LicenseId license) {
    License l = license == null ? null : licenses.get(license);
    CustomerEntry entry = l == null ? null : customers.get(l.customerId());
    if (entry == null) {
      return List.of();
    }
    List<PullToken> out = new ArrayList<>();
    for (TokenEntry t : entry.tokens()) {
      if (t.token().licenseId().equals(license)) {
        out.add(t.token());
      }
    }
    out.sort(java.util.Comparator.comparing(PullToken::createdAt).thenComparing(PullToken::id));
    return out;
  }

  /** The license with this id, if its customer is live. */
  public License license(LicenseId id) {
    return licenses.get(id);
  }

  /**
   * The licenses of a live customer, revoked ones too, oldest first; empty for an unknown or deleted
   * customer. Costs the customer's size, not the store's.
   */
  public List<License> licensesOf(CustomerId id) {
    CustomerEntry entry = id == null ? null : customers.get(id);
    if (entry == null) {
      return List.of();
    }
    List<License> out = new ArrayList<>(entry.licenses().size());
    entry.licenses().forEach(l -> out.add(l.license()));
    out.sort(java.util.Comparator.comparing(License::createdAt).thenComparing(l -> l.id().value()));
    return out;
  }

  /** A live customer, or null for an unknown or deleted one; from memory. */
  public Customer customer(CustomerId id) {
    CustomerEntry entry = id == null ? null : customers.get(id);
    return entry == null ? null : entry.customer();
  }

  /** Every license of a live customer, revoked ones too, in no particular order. */
  public Collection<License> licenses() {
    return licenses.values();
  }

  public Catalog catalog() {
    return catalog;
  }

  /**
   * Every application's entitlement fields, configured and defined through the API, as of this
   * snapshot: what every reader of fields goes through.
   */
  public EntitlementFields entitlements() {
    return entitlements;
  }

  /**
   * What {@code license} alone grants on {@code repository} at {@code now}, decided as a pull with
   * its key would be: everything while it is active; once expired, the tags seen before the expiry
   * when it keeps them; null when it grants nothing there now or the repository is not configured.
   */
  public Grant grantOf(License license, String repository, Instant now) {
    Catalog.Entry entry = catalog.repository(repository);
    if (entry == null || !license.grantsAnythingAt(now)) {
      return null;
    }
    Set<LicenseId> kept = license.state(now) == LicenseState.EXPIRED ? Set.of(license.id()) : Set.of();
    return Grant.of(entry, List.of(license), kept, seen);
  }

  /** When each tag was first seen, as far as this replica knows: shared by every snapshot of a store. */
  public TagsSeen tagsSeen() {
    return seen;
  }
}
