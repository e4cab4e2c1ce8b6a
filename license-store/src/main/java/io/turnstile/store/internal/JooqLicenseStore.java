package io.turnstile.store.internal;

import static io.turnstile.store.internal.db.Tables.CUSTOMERS;
import static io.turnstile.store.internal.db.Tables.CUSTOMER_KEYS;
import static io.turnstile.store.internal.db.Tables.EVENTS;
import static io.turnstile.store.internal.db.Tables.LICENSES;
import static io.turnstile.store.internal.db.Tables.LICENSE_VERSIONS;

import io.turnstile.store.AuthResult;
import io.turnstile.store.Catalog;
import io.turnstile.store.ConflictException;
import io.turnstile.store.Customer;
import io.turnstile.store.CustomerId;
import io.turnstile.store.CustomerKey;
import io.turnstile.store.InvalidInputException;
import io.turnstile.store.IssuedKey;
import io.turnstile.store.Keys;
import io.turnstile.store.License;
import io.turnstile.store.LicenseEvent;
import io.turnstile.store.LicenseId;
import io.turnstile.store.LicensePatch;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.NewLicense;
import io.turnstile.store.NoSuchCustomerException;
import io.turnstile.store.NoSuchLicenseException;
import io.turnstile.store.NoSuchVersionException;
import io.turnstile.store.Snapshot;
import io.turnstile.store.UpstreamCredentials;
import io.turnstile.store.internal.db.tables.records.CustomersRecord;
import io.turnstile.store.internal.db.tables.records.LicensesRecord;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * The license store on jOOQ. Writes are serialised (SQLite has one writer, and the snapshot is
 * rebuilt in commit order); each runs in one transaction and then swaps in a new snapshot with the
 * changed customer reloaded.
 */
public final class JooqLicenseStore implements LicenseStore {
  private final Database database;
  private final DSLContext dsl;
  private final CredentialCipher cipher;
  private final Catalog catalog;
  private final Clock clock;
  private final SnapshotLoader loader;
  private final ReentrantLock writer = new ReentrantLock();
  private volatile Snapshot snapshot;

  public JooqLicenseStore(Database database, CredentialCipher cipher, Catalog catalog, Clock clock) {
    this.database = Objects.requireNonNull(database, "database");
    this.dsl = database.dsl();
    this.cipher = Objects.requireNonNull(cipher, "cipher");
    this.catalog = Objects.requireNonNull(catalog, "catalog");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.loader = new SnapshotLoader(cipher, catalog);
    this.snapshot = loader.loadAll(dsl);
  }

  @Override
  public Snapshot snapshot() {
    return snapshot;
  }

  @Override
  public AuthResult authorize(String username, String secret) {
    return snapshot.authenticate(username, secret, clock.instant());
  }

  @Override
  public AuthResult authorizeCredential(String credentialId) {
    return snapshot.accessFor(credentialId, clock.instant());
  }

  /** The database, for operational counters. */
  public Database database() {
    return database;
  }

  // ---- customers ----

  @Override
  public Customer createCustomer(String name, String actor) {
    String clean = Inputs.name("name", name);
    CustomerId id = new CustomerId(Keys.newId(CustomerId.PREFIX));
    long now = clock.millis();
    return write(id, tx -> {
      tx.insertInto(CUSTOMERS)
          .set(CUSTOMERS.ID, id.value())
          .set(CUSTOMERS.NAME, clean)
          .set(CUSTOMERS.CREATED_AT, now)
          .execute();
      event(tx, now, actor, "customer.created", id, null, "name=" + clean);
      return new Customer(id, clean, Instant.ofEpochMilli(now));
    });
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
    return customer(liveCustomer(dsl, id));
  }

  @Override
  public void deleteCustomer(CustomerId id, String actor) {
    long now = clock.millis();
    write(id, tx -> {
      liveCustomer(tx, id);
      tx.update(CUSTOMERS).set(CUSTOMERS.DELETED_AT, now).where(CUSTOMERS.ID.eq(id.value())).execute();
      tx.update(CUSTOMER_KEYS).set(CUSTOMER_KEYS.REVOKED_AT, now)
          .where(CUSTOMER_KEYS.CUSTOMER_ID.eq(id.value()), CUSTOMER_KEYS.REVOKED_AT.isNull())
          .execute();
      List<String> live = tx.select(LICENSES.ID).from(LICENSES)
          .where(LICENSES.CUSTOMER_ID.eq(id.value()), LICENSES.REVOKED_AT.isNull())
          .fetch(LICENSES.ID);
      for (String licenseId : live) {
        tx.update(LICENSES).set(LICENSES.REVOKED_AT, now).set(LICENSES.UPDATED_AT, now)
            .where(LICENSES.ID.eq(licenseId)).execute();
        event(tx, now, actor, "license.revoked", id, new LicenseId(licenseId), "customer deleted");
      }
      event(tx, now, actor, "customer.deleted", id, null, null);
      return null;
    });
  }

  @Override
  public IssuedKey createCustomerKey(CustomerId id, String actor) {
    String key = Keys.newKey();
    String keyId = Keys.newId("key_");
    long now = clock.millis();
    return write(id, tx -> {
      liveCustomer(tx, id);
      tx.insertInto(CUSTOMER_KEYS)
          .set(CUSTOMER_KEYS.ID, keyId)
          .set(CUSTOMER_KEYS.CUSTOMER_ID, id.value())
          .set(CUSTOMER_KEYS.KEY_HASH, Keys.hash(key))
          .set(CUSTOMER_KEYS.CREATED_AT, now)
          .execute();
      event(tx, now, actor, "customer.key_created", id, null, "keyId=" + keyId);
      return new IssuedKey(id.value(), key, keyId);
    });
  }

  @Override
  public List<CustomerKey> customerKeys(CustomerId id) {
    liveCustomer(dsl, id);
    return dsl.selectFrom(CUSTOMER_KEYS)
        .where(CUSTOMER_KEYS.CUSTOMER_ID.eq(id.value()), CUSTOMER_KEYS.REVOKED_AT.isNull())
        .orderBy(CUSTOMER_KEYS.CREATED_AT)
        .fetch(r -> new CustomerKey(r.getId(), id, Instant.ofEpochMilli(r.getCreatedAt())));
  }

  @Override
  public void revokeCustomerKey(CustomerId id, String keyId, String actor) {
    long now = clock.millis();
    write(id, tx -> {
      liveCustomer(tx, id);
      int n = tx.update(CUSTOMER_KEYS).set(CUSTOMER_KEYS.REVOKED_AT, now)
          .where(CUSTOMER_KEYS.ID.eq(keyId), CUSTOMER_KEYS.CUSTOMER_ID.eq(id.value()),
              CUSTOMER_KEYS.REVOKED_AT.isNull())
          .execute();
      if (n == 0) {
        throw new InvalidInputException("keyId", "customer " + id + " has no active key " + keyId);
      }
      event(tx, now, actor, "customer.key_revoked", id, null, "keyId=" + keyId);
      return null;
    });
  }

  // ---- licenses ----

  @Override
  public IssuedKey createLicense(NewLicense request, String actor) {
    if (request.customerId() == null) {
      throw new InvalidInputException("customerId", "is required");
    }
    String application = Inputs.application(catalog, request.application());
    String name = request.name() == null ? application : Inputs.name("name", request.name());
    Set<String> versions = Inputs.versions("versions", request.versions());
    Inputs.checkCredentials(request.upstreamCredentials());
    LicenseId id = new LicenseId(Keys.newId(LicenseId.PREFIX));
    String key = Keys.newKey();
    String keyId = Keys.newId("lk_");
    long now = clock.millis();
    return write(request.customerId(), tx -> {
      if (tx.fetchExists(CUSTOMERS, CUSTOMERS.ID.eq(request.customerId().value()), CUSTOMERS.DELETED_AT.isNull())) {
        LicensesRecord r = tx.newRecord(LICENSES);
        r.setId(id.value());
        r.setCustomerId(request.customerId().value());
        r.setName(name);
        r.setApplication(application);
        r.setExpiresAt(millis(request.expiresAt()));
        r.setKeyId(keyId);
        r.setKeyHash(Keys.hash(key));
        setCredentials(r, id, request.upstreamCredentials());
        r.setCreatedAt(now);
        r.setUpdatedAt(now);
        r.store();
      } else {
        throw new InvalidInputException("customerId", "no customer " + request.customerId());
      }
      for (String v : versions) {
        tx.insertInto(LICENSE_VERSIONS)
            .set(LICENSE_VERSIONS.LICENSE_ID, id.value())
            .set(LICENSE_VERSIONS.VERSION, v)
            .set(LICENSE_VERSIONS.GRANTED_AT, now)
            .execute();
      }
      event(tx, now, actor, "license.created", request.customerId(), id,
          "application=" + application + " versions=" + versions + " expiresAt=" + request.expiresAt()
              + (request.upstreamCredentials() == null ? "" : " upstreamUsername=" + request.upstreamCredentials().username()));
      return new IssuedKey(id.value(), key, keyId);
    });
  }

  @Override
  public List<License> licenses(CustomerId customer) {
    var query = dsl.selectFrom(LICENSES);
    var records = customer == null
        ? query.orderBy(LICENSES.CREATED_AT, LICENSES.ID).fetch()
        : query.where(LICENSES.CUSTOMER_ID.eq(customer.value())).orderBy(LICENSES.CREATED_AT, LICENSES.ID).fetch();
    Map<String, List<String>> versions = loader.versionsOf(dsl, customer);
    List<License> out = new ArrayList<>(records.size());
    for (LicensesRecord r : records) {
      out.add(loader.license(r, versions.getOrDefault(r.getId(), List.of())));
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
    return dsl.selectFrom(EVENTS)
        .where(EVENTS.LICENSE_ID.eq(id.value()))
        .orderBy(EVENTS.SEQ)
        .fetch(r -> new LicenseEvent(Instant.ofEpochMilli(r.getAt()), r.getActor(), r.getAction(), r.getDetail()));
  }

  @Override
  public License update(LicenseId id, LicensePatch patch, String actor) {
    String newName = patch.name() == null ? null : Inputs.name("name", patch.name());
    if (patch.upstreamCredentials() != null) {
      patch.upstreamCredentials().ifPresent(Inputs::checkCredentials);
    }
    long now = clock.millis();
    return writeLicense(id, (tx, r) -> {
      boolean changed = false;
      if (newName != null && !newName.equals(r.getName())) {
        event(tx, now, actor, "license.renamed", r, r.getName() + " -> " + newName);
        r.setName(newName);
        changed = true;
      }
      if (patch.expiresAt() != null) {
        Long next = millis(patch.expiresAt().orElse(null));
        if (!Objects.equals(next, r.getExpiresAt())) {
          event(tx, now, actor, "license.expiry_changed", r,
              instant(r.getExpiresAt()) + " -> " + instant(next));
          r.setExpiresAt(next);
          changed = true;
        }
      }
      if (patch.upstreamCredentials() != null) {
        UpstreamCredentials creds = patch.upstreamCredentials().orElse(null);
        setCredentials(r, id, creds);
        event(tx, now, actor, "license.upstream_credentials_changed", r,
            creds == null ? "cleared" : "upstreamUsername=" + creds.username());
        changed = true;
      }
      if (changed) {
        r.setUpdatedAt(now);
        r.store();
      }
    });
  }

  @Override
  public License grantVersions(LicenseId id, List<String> versions, String actor) {
    Set<String> wanted = Inputs.versions("versions", versions);
    if (wanted.isEmpty()) {
      throw new InvalidInputException("versions", "must list at least one version");
    }
    long now = clock.millis();
    return writeLicense(id, (tx, r) -> {
      Set<String> have = new LinkedHashSet<>(tx.select(LICENSE_VERSIONS.VERSION).from(LICENSE_VERSIONS)
          .where(LICENSE_VERSIONS.LICENSE_ID.eq(id.value())).fetch(LICENSE_VERSIONS.VERSION));
      List<String> added = new ArrayList<>();
      for (String v : wanted) {
        if (!have.contains(v)) {
          tx.insertInto(LICENSE_VERSIONS)
              .set(LICENSE_VERSIONS.LICENSE_ID, id.value())
              .set(LICENSE_VERSIONS.VERSION, v)
              .set(LICENSE_VERSIONS.GRANTED_AT, now)
              .execute();
          added.add(v);
        }
      }
      if (!added.isEmpty()) {
        event(tx, now, actor, "license.versions_granted", r, "versions=" + added);
        r.setUpdatedAt(now);
        r.store();
      }
    });
  }

  @Override
  public License revokeVersion(LicenseId id, String version, String actor) {
    long now = clock.millis();
    return writeLicense(id, (tx, r) -> {
      int n = tx.deleteFrom(LICENSE_VERSIONS)
          .where(LICENSE_VERSIONS.LICENSE_ID.eq(id.value()), LICENSE_VERSIONS.VERSION.eq(version))
          .execute();
      if (n == 0) {
        throw new NoSuchVersionException(id, version);
      }
      event(tx, now, actor, "license.version_revoked", r, "version=" + version);
      r.setUpdatedAt(now);
      r.store();
    });
  }

  @Override
  public IssuedKey rotateKey(LicenseId id, String actor) {
    String key = Keys.newKey();
    String keyId = Keys.newId("lk_");
    long now = clock.millis();
    writeLicense(id, (tx, r) -> {
      r.setKeyId(keyId);
      r.setKeyHash(Keys.hash(key));
      r.setUpdatedAt(now);
      r.store();
      event(tx, now, actor, "license.key_rotated", r, null);
    });
    return new IssuedKey(id.value(), key, keyId);
  }

  @Override
  public License revokeLicense(LicenseId id, String actor) {
    long now = clock.millis();
    License current = license(id);
    if (current.revokedAt() != null) {
      return current;
    }
    return writeLicense(id, (tx, r) -> {
      r.setRevokedAt(now);
      r.setUpdatedAt(now);
      r.store();
      event(tx, now, actor, "license.revoked", r, null);
    });
  }

  @Override
  public void close() {
    database.close();
  }

  // ---- plumbing ----

  private interface LicenseChange {
    void apply(DSLContext tx, LicensesRecord license);
  }

  /** Runs {@code change} on a live license in one transaction and returns the license after it. */
  private License writeLicense(LicenseId id, LicenseChange change) {
    LicensesRecord found = dsl.selectFrom(LICENSES).where(LICENSES.ID.eq(id.value())).fetchOne();
    if (found == null) {
      throw new NoSuchLicenseException(id.value());
    }
    CustomerId customer = new CustomerId(found.getCustomerId());
    write(customer, tx -> {
      LicensesRecord r = tx.selectFrom(LICENSES).where(LICENSES.ID.eq(id.value())).fetchOne();
      if (r.getRevokedAt() != null) {
        throw new ConflictException("license " + id + " is revoked and cannot be changed");
      }
      change.apply(tx, r);
      return null;
    });
    return license(id);
  }

  /** One serialised transaction for {@code customer}, then a snapshot with that customer reloaded. */
  private <T> T write(CustomerId customer, Function<DSLContext, T> work) {
    writer.lock();
    try {
      T result = dsl.transactionResult(cfg -> work.apply(cfg.dsl()));
      snapshot = loader.reload(dsl, snapshot, customer);
      return result;
    } finally {
      writer.unlock();
    }
  }

  private static CustomersRecord liveCustomer(DSLContext tx, CustomerId id) {
    CustomersRecord r = tx.selectFrom(CUSTOMERS)
        .where(CUSTOMERS.ID.eq(id.value()), CUSTOMERS.DELETED_AT.isNull())
        .fetchOne();
    if (r == null) {
      throw new NoSuchCustomerException(id.value());
    }
    return r;
  }

  private static Customer customer(CustomersRecord r) {
    return new Customer(new CustomerId(r.getId()), r.getName(), Instant.ofEpochMilli(r.getCreatedAt()));
  }

  private void setCredentials(LicensesRecord r, LicenseId id, UpstreamCredentials creds) {
    r.setUpstreamUsername(creds == null ? null : creds.username());
    r.setUpstreamPasswordEnc(creds == null ? null : cipher.encrypt(creds.password(), id.value()));
  }

  private static void event(DSLContext tx, long at, String actor, String action, LicensesRecord r, String detail) {
    event(tx, at, actor, action, new CustomerId(r.getCustomerId()), new LicenseId(r.getId()), detail);
  }

  private static void event(DSLContext tx, long at, String actor, String action, CustomerId customer,
      LicenseId license, String detail) {
    long seq = tx.select(DSL.coalesce(DSL.max(EVENTS.SEQ), 0L)).from(EVENTS).fetchOne().value1() + 1;
    tx.insertInto(EVENTS)
        .set(EVENTS.ID, Keys.newId("ev_"))
        .set(EVENTS.SEQ, seq)
        .set(EVENTS.AT, at)
        .set(EVENTS.ACTOR, actor == null || actor.isBlank() ? "unknown" : truncate(actor, Inputs.MAX_NAME))
        .set(EVENTS.ACTION, action)
        .set(EVENTS.CUSTOMER_ID, customer == null ? null : customer.value())
        .set(EVENTS.LICENSE_ID, license == null ? null : license.value())
        .set(EVENTS.DETAIL, detail == null ? null : truncate(detail, 4000))
        .execute();
  }

  private static String truncate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max);
  }

  private static Long millis(Instant t) {
    return t == null ? null : t.toEpochMilli();
  }

  private static Instant instant(Long ms) {
    return ms == null ? null : Instant.ofEpochMilli(ms);
  }
}
