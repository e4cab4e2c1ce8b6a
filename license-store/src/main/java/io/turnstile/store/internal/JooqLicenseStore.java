package io.turnstile.store.internal;

import static io.turnstile.store.internal.db.Tables.CUSTOMERS;
import static io.turnstile.store.internal.db.Tables.CUSTOMER_KEYS;
import static io.turnstile.store.internal.db.Tables.LICENSES;

import io.turnstile.store.ActivityLog;
import io.turnstile.store.ApiTokens;
import io.turnstile.store.AuthResult;
import io.turnstile.store.Catalog;
import io.turnstile.store.Customer;
import io.turnstile.store.CustomerId;
import io.turnstile.store.CustomerImport;
import io.turnstile.store.CustomerKey;
import io.turnstile.store.ImportedCustomer;
import io.turnstile.store.InvalidInputException;
import io.turnstile.store.IssuedKey;
import io.turnstile.store.Keys;
import io.turnstile.store.License;
import io.turnstile.store.LicenseEvent;
import io.turnstile.store.LicenseId;
import io.turnstile.store.LicensePatch;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.NewLicense;
import io.turnstile.store.KeyPurpose;
import io.turnstile.store.NoSuchCustomerException;
import io.turnstile.store.NoSuchLicenseException;
import io.turnstile.store.PullLog;
import io.turnstile.store.PullStats;
import io.turnstile.store.PullTokens;
import io.turnstile.store.RangeGrant;
import io.turnstile.store.Snapshot;
import io.turnstile.store.StoreStats;
import io.turnstile.store.StoredKeys;
import io.turnstile.store.TagsSeen;
import io.turnstile.store.VersionRange;
import io.turnstile.store.internal.db.tables.records.CustomersRecord;
import io.turnstile.store.internal.db.tables.records.LicensesRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jooq.DSLContext;

/**
 * The license store on jOOQ: authorization from the snapshot, reads from the database, customer
 * writes in {@link CustomerWrites}, license writes in {@link LicenseWrites} and imports in {@link CustomerImports}. Every write goes through one {@link
 * StoreWriter}, which serialises them and catches the snapshot up from the events they write.
 */
public final class JooqLicenseStore implements LicenseStore {
  private final Database database;
  private final DSLContext dsl;
  private final Clock clock;
  private final SnapshotLoader loader;
  private final StoreWriter writer;
  private final LicenseWrites licenseWrites;
  private final CustomerWrites customerWrites;
  private final CustomerImports imports;
  private final SigningKeyStore tokenKeys;
  private final SigningKeyStore licenseKeys;
  private final TagsSeenTable tagsSeen;
  /** Follows writes made by other replicas; null for a SQLite store, which one process owns. */
  private final ChangeFeed feed;
  private final JooqPullLog pulls;
  private final ApiTokenTable apiTokens;
  private final PullTokenTable pullTokens;
  private final JooqActivityLog activity;
  private final JooqPullStats pullStats;
  private final WebhookTable webhooks;
  private final IdempotencyTable idempotencyKeys;
  private final WebSessionTable webSessions;
  private final UsageTable usage;
  private final EntitlementFieldTable entitlementFields;

  /**
   * @param pollInterval with a shared (PostgreSQL) database, how often to look for writes made by
   *     other replicas when no notification came
   */
  public JooqLicenseStore(Database database, CredentialCipher cipher, Catalog catalog, Clock clock,
      Duration pollInterval) {
    this.database = Objects.requireNonNull(database, "database");
    this.dsl = database.dsl();
    this.clock = Objects.requireNonNull(clock, "clock");
    TagsSeen seen = new TagsSeen();
    this.loader = new SnapshotLoader(Objects.requireNonNull(cipher, "cipher"), Objects.requireNonNull(catalog, "catalog"),
        seen);
    this.writer = new StoreWriter(database, loader, clock);
    this.tagsSeen = new TagsSeenTable(writer, seen, clock);
    tagsSeen.loadAll(dsl);
    this.licenseWrites = new LicenseWrites(writer, cipher, catalog, loader, clock);
    this.customerWrites = new CustomerWrites(writer, clock);
    this.imports = new CustomerImports(writer, cipher, catalog, loader, clock);
    this.entitlementFields = new EntitlementFieldTable(writer, loader, catalog, clock);
    this.tokenKeys = new SigningKeyStore(KeyPurpose.TOKEN, writer, cipher, clock);
    this.licenseKeys = new SigningKeyStore(KeyPurpose.LICENSE, writer, cipher, clock);
    this.pulls = new JooqPullLog(database);
    this.apiTokens = new ApiTokenTable(writer, clock);
    this.pullTokens = new PullTokenTable(writer, clock);
    this.activity = new JooqActivityLog(writer, clock);
    this.pullStats = new JooqPullStats(database);
    this.webhooks = new WebhookTable(writer, cipher, loader, clock);
    this.idempotencyKeys = new IdempotencyTable(writer, clock);
    this.webSessions = new WebSessionTable(writer, cipher, clock);
    this.usage = new UsageTable(writer, clock);
    this.feed = database.shared() ? new ChangeFeed(database, writer, pollInterval, true, clock) : null;
    if (feed != null) {
      feed.start();
    }
  }

  @Override
  public io.turnstile.store.Webhooks webhooks() {
    return webhooks;
  }

  @Override
  public io.turnstile.store.EntitlementDefinitions entitlementDefinitions() {
    return entitlementFields;
  }

  @Override
  public io.turnstile.store.Usage usage() {
    return usage;
  }

  @Override
  public Snapshot snapshot() {
    return writer.snapshot();
  }

  @Override
  public AuthResult authorize(String username, String secret) {
    return notingTokenUse(writer.snapshot().authenticate(username, secret, clock.instant()));
  }

  @Override
  public AuthResult authorizeCredential(String credentialId) {
    return notingTokenUse(writer.snapshot().accessFor(credentialId, clock.instant()));
  }

  /** A pull token's use is noted in memory for its last use; written later, in a batch. */
  private AuthResult notingTokenUse(AuthResult result) {
    if (result instanceof io.turnstile.store.Access a && a.principal().isPullToken()) {
      pullTokens.used(a.principal().credentialId());
    }
    return result;
  }

  @Override
  public Subscription onSnapshot(Runnable listener) {
    return writer.onSnapshot(Objects.requireNonNull(listener, "listener"));
  }

  @Override
  public StoredKeys keys(KeyPurpose purpose) {
    return purpose == KeyPurpose.TOKEN ? tokenKeys : licenseKeys;
  }

  @Override
  public StoreStats stats() {
    return new StoreStats(database.queriesExecuted(), writer.cursor(), feed == null || feed.reachable(),
        feed == null ? null : feed.lastContact(), writer.snapshotAt(), writer.lastReload(),
        feed == null || feed.running(), feed == null ? null : database.reachability().unreachableSince());
  }

  @Override
  public PullLog pulls() {
    return pulls;
  }

  @Override
  public PullStats pullStats() {
    return pullStats;
  }

  // ---- customers ----

  @Override
  public Customer createCustomer(String name, String actor) {
    return customerWrites.create(name, actor);
  }

  @Override
  public List<Customer> customers() {
    return dsl.selectFrom(CUSTOMERS)
        .where(CUSTOMERS.DELETED_AT.isNull())
        .orderBy(CUSTOMERS.CREATED_AT, CUSTOMERS.ID)
        .fetch(JooqLicenseStore::customer);
  }

  @Override
  public Customer customer(CustomerId id) {
    return customer(CustomerWrites.liveCustomer(dsl, id));
  }

  @Override
  public void deleteCustomer(CustomerId id, String actor) {
    customerWrites.delete(id, actor);
  }

  @Override
  public IssuedKey createCustomerKey(CustomerId id, String actor) {
    return customerWrites.createKey(id, actor);
  }

  @Override
  public List<CustomerKey> customerKeys(CustomerId id) {
    CustomerWrites.liveCustomer(dsl, id);
    return dsl.selectFrom(CUSTOMER_KEYS)
        .where(CUSTOMER_KEYS.CUSTOMER_ID.eq(id.value()), CUSTOMER_KEYS.REVOKED_AT.isNull())
        .orderBy(CUSTOMER_KEYS.CREATED_AT)
        .fetch(r -> new CustomerKey(r.getId(), id, Instant.ofEpochMilli(r.getCreatedAt())));
  }

  @Override
  public void revokeCustomerKey(CustomerId id, String keyId, String actor) {
    customerWrites.revokeKey(id, keyId, actor);
  }

  @Override
  public Customer renameCustomer(CustomerId id, String name, String actor) {
    return customerWrites.rename(id, name, actor);
  }

  // ---- licenses ----

  @Override
  public IssuedKey createLicense(NewLicense request, String actor) {
    return licenseWrites.create(request, actor);
  }

  @Override
  public List<ImportedCustomer> importCustomers(List<CustomerImport> customers, String actor) {
    return imports.run(customers, actor);
  }

  @Override
  public List<License> licenses(CustomerId customer) {
    var query = dsl.selectFrom(LICENSES);
    var records = customer == null
        ? query.orderBy(LICENSES.CREATED_AT, LICENSES.ID).fetch()
        : query.where(LICENSES.CUSTOMER_ID.eq(customer.value())).orderBy(LICENSES.CREATED_AT, LICENSES.ID).fetch();
    Map<String, List<String>> versions = loader.versionsOf(dsl, customer);
    Map<String, List<VersionRange>> ranges = loader.rangesOf(dsl, customer);
    Map<String, Map<String, String>> entitlements = loader.entitlementsOf(dsl, customer);
    List<License> out = new ArrayList<>(records.size());
    for (LicensesRecord r : records) {
      out.add(loader.license(r, versions.getOrDefault(r.getId(), List.of()), ranges.getOrDefault(r.getId(), List.of()),
          entitlements.getOrDefault(r.getId(), Map.of())));
    }
    return out;
  }

  @Override
  public License license(LicenseId id) {
    return loader.license(dsl, id).orElseThrow(() -> new NoSuchLicenseException(id.value()));
  }

  @Override
  public List<LicenseEvent> history(LicenseId id) {
    license(id);
    return EventLog.history(dsl, id);
  }

  @Override
  public License update(LicenseId id, LicensePatch patch, String actor) {
    return licenseWrites.update(id, patch, actor);
  }

  @Override
  public License moveLicense(LicenseId id, CustomerId to, String actor) {
    return licenseWrites.move(id, to, actor);
  }

  @Override
  public License grantVersions(LicenseId id, List<String> versions, String actor) {
    return licenseWrites.grantVersions(id, versions, actor);
  }

  @Override
  public License revokeVersion(LicenseId id, String version, String actor) {
    return licenseWrites.revokeVersion(id, version, actor);
  }

  @Override
  public License grantRanges(LicenseId id, List<RangeGrant> ranges, String actor) {
    return licenseWrites.grantRanges(id, ranges, actor);
  }

  @Override
  public License revokeRange(LicenseId id, String range, String actor) {
    return licenseWrites.revokeRange(id, range, actor);
  }

  @Override
  public int recordTagsSeen(String repository, Collection<String> tags) {
    return tagsSeen.record(repository, tags);
  }

  @Override
  public IssuedKey rotateKey(LicenseId id, String actor) {
    return licenseWrites.rotateKey(id, actor);
  }

  @Override
  public License revokeLicense(LicenseId id, String actor) {
    return licenseWrites.revoke(id, actor);
  }

  @Override
  public io.turnstile.store.IdempotencyKeys idempotencyKeys() {
    return idempotencyKeys;
  }

  @Override
  public PullTokens pullTokens() {
    return pullTokens;
  }

  @Override
  public io.turnstile.store.WebSessions webSessions() {
    return webSessions;
  }

  @Override
  public ApiTokens apiTokens() {
    return apiTokens;
  }

  @Override
  public ActivityLog activity() {
    return activity;
  }

  @Override
  public void close() {
    if (feed != null) {
      feed.close();
    }
    apiTokens.close();
    webSessions.close();
    pullTokens.close();
    database.close();
  }

  private static Customer customer(CustomersRecord r) {
    return new Customer(new CustomerId(r.getId()), r.getName(), Instant.ofEpochMilli(r.getCreatedAt()));
  }
}
