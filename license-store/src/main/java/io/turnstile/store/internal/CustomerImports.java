package io.turnstile.store.internal;

import static io.turnstile.store.internal.db.Tables.CUSTOMERS;
import static io.turnstile.store.internal.db.Tables.LICENSE_RANGES;
import static io.turnstile.store.internal.db.Tables.LICENSE_VERSIONS;
import static io.turnstile.store.internal.db.Tables.LICENSE_ENTITLEMENTS;
import static io.turnstile.store.internal.db.Tables.LICENSES;

import io.turnstile.store.Catalog;
import io.turnstile.store.Customer;
import io.turnstile.store.CustomerId;
import io.turnstile.store.CustomerImport;
import io.turnstile.store.ImportedCustomer;
import io.turnstile.store.InvalidInputException;
import io.turnstile.store.IssuedKey;
import io.turnstile.store.Keys;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.NewLicense;
import io.turnstile.store.UpstreamCredentials;
import io.turnstile.store.VersionRange;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jooq.DSLContext;

/**
 * {@link LicenseStore#importCustomers}: every entry is checked before the transaction starts, then
 * customers, licenses, versions, ranges and events go in as batched inserts.
 */
final class CustomerImports {
  private record Entry(Customer customer, List<PreparedLicense> licenses) {}

  private final StoreWriter writer;
  private final CredentialCipher cipher;
  private final Catalog catalog;
  private final SnapshotLoader loader;
  private final Clock clock;

  CustomerImports(StoreWriter writer, CredentialCipher cipher, Catalog catalog, SnapshotLoader loader, Clock clock) {
    this.writer = writer;
    this.cipher = cipher;
    this.catalog = catalog;
    this.loader = loader;
    this.clock = clock;
  }

  List<ImportedCustomer> run(List<CustomerImport> customers, String actor) {
    if (customers == null) {
      throw new InvalidInputException("customers", "is required");
    }
    long now = clock.millis();
    List<Entry> entries = new ArrayList<>(customers.size());
    for (int i = 0; i < customers.size(); i++) {
      entries.add(prepare("customers[" + i + "]", customers.get(i), Instant.ofEpochMilli(now)));
    }
    writer.writeAll(tx -> {
      insert(tx, entries, now, actor);
      return null;
    });
    List<ImportedCustomer> out = new ArrayList<>(entries.size());
    for (Entry e : entries) {
      List<IssuedKey> keys = new ArrayList<>(e.licenses().size());
      e.licenses().forEach(l -> keys.add(l.issuedKey()));
      out.add(new ImportedCustomer(e.customer(), keys));
    }
    return out;
  }

  private Entry prepare(String field, CustomerImport c, Instant createdAt) {
    if (c == null) {
      throw new InvalidInputException(field, "must not be null");
    }
    String name;
    try {
      name = Inputs.name("name", c.name());
    } catch (InvalidInputException e) {
      throw e.within(field + ".");
    }
    List<NewLicense> requested = c.licenses() == null ? List.of() : c.licenses();
    List<PreparedLicense> licenses = new ArrayList<>(requested.size());
    for (int j = 0; j < requested.size(); j++) {
      String licenseField = field + ".licenses[" + j + "]";
      NewLicense l = requested.get(j);
      if (l == null) {
        throw new InvalidInputException(licenseField, "must not be null");
      }
      if (l.customerId() != null) {
        throw new InvalidInputException(licenseField + ".customerId",
            "must be empty: the license belongs to the customer it is listed under");
      }
      try {
        licenses.add(PreparedLicense.of(l, catalog, loader.fields()));
      } catch (InvalidInputException e) {
        throw e.within(licenseField + ".");
      }
    }
    return new Entry(new Customer(new CustomerId(Keys.newId(CustomerId.PREFIX)), name, createdAt), licenses);
  }

  private void insert(DSLContext tx, List<Entry> entries, long now, String actor) {
    BatchInsert customers = new BatchInsert(tx,
        tx.insertInto(CUSTOMERS, CUSTOMERS.ID, CUSTOMERS.NAME, CUSTOMERS.CREATED_AT).values((String) null, null, null));
    BatchInsert licenses = new BatchInsert(tx,
        tx.insertInto(LICENSES, LICENSES.ID, LICENSES.CUSTOMER_ID, LICENSES.NAME, LICENSES.APPLICATION,
                LICENSES.EXPIRES_AT, LICENSES.KEEP_RELEASED_BEFORE_EXPIRY, LICENSES.KEY_ID, LICENSES.KEY_HASH,
                LICENSES.UPSTREAM_USERNAME, LICENSES.UPSTREAM_PASSWORD_ENC, LICENSES.CREATED_AT, LICENSES.UPDATED_AT)
            .values((String) null, null, null, null, null, null, null, null, null, null, null, null));
    BatchInsert versions = new BatchInsert(tx,
        tx.insertInto(LICENSE_VERSIONS, LICENSE_VERSIONS.LICENSE_ID, LICENSE_VERSIONS.VERSION, LICENSE_VERSIONS.GRANTED_AT)
            .values((String) null, null, null));
    BatchInsert ranges = new BatchInsert(tx,
        tx.insertInto(LICENSE_RANGES, LICENSE_RANGES.LICENSE_ID, LICENSE_RANGES.EXPRESSION,
                LICENSE_RANGES.INCLUDE_PRERELEASE, LICENSE_RANGES.GRANTED_AT)
            .values((String) null, null, null, null));
    BatchInsert entitlements = new BatchInsert(tx,
        tx.insertInto(LICENSE_ENTITLEMENTS, LICENSE_ENTITLEMENTS.LICENSE_ID, LICENSE_ENTITLEMENTS.NAME,
                LICENSE_ENTITLEMENTS.VALUE)
            .values((String) null, null, null));
    EventLog.Bulk events = new EventLog.Bulk(tx, now, actor);
    for (Entry e : entries) {
      CustomerId customer = e.customer().id();
      customers.add(customer.value(), e.customer().name(), now);
      events.add("customer.created", customer, null, "name=" + e.customer().name());
    }
    // Each table is complete before the next starts: the foreign keys are checked per statement.
    customers.flush();
    for (Entry e : entries) {
      for (PreparedLicense l : e.licenses()) {
        UpstreamCredentials creds = l.upstreamCredentials();
        licenses.add(l.id().value(), e.customer().id().value(), l.name(), l.application(), l.expiresAtMillis(),
            l.keepReleasedBeforeExpiry(), l.keyId(), l.keyHash(), creds == null ? null : creds.username(),
            creds == null ? null : cipher.encrypt(creds.password(), l.id().value()), now, now);
        events.add("license.created", e.customer().id(), l.id(), l.createdDetail());
      }
    }
    licenses.flush();
    for (Entry e : entries) {
      for (PreparedLicense l : e.licenses()) {
        for (String v : l.versions()) {
          versions.add(l.id().value(), v, now);
        }
        for (VersionRange r : l.ranges()) {
          ranges.add(l.id().value(), r.expression(), r.includePrerelease(), now);
        }
        l.entitlements().forEach((name, value) -> entitlements.add(l.id().value(), name, value));
      }
    }
    versions.flush();
    ranges.flush();
    entitlements.flush();
    events.flush();
  }
}
