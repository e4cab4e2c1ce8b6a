package io.turnstile.store.internal;

import static io.turnstile.store.internal.db.Tables.CUSTOMERS;
import static io.turnstile.store.internal.db.Tables.CUSTOMER_KEYS;
import static io.turnstile.store.internal.db.Tables.LICENSES;

import io.turnstile.store.Customer;
import io.turnstile.store.CustomerId;
import io.turnstile.store.InvalidInputException;
import io.turnstile.store.IssuedKey;
import io.turnstile.store.Keys;
import io.turnstile.store.LicenseId;
import io.turnstile.store.NoSuchCustomerException;
import io.turnstile.store.internal.db.tables.records.CustomersRecord;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.jooq.DSLContext;

/** The writes of customers and their keys; each records what it changed as events. */
final class CustomerWrites {
  private final StoreWriter writer;
  private final Clock clock;

  CustomerWrites(StoreWriter writer, Clock clock) {
    this.writer = writer;
    this.clock = clock;
  }

  Customer create(String name, String actor) {
    String clean = Inputs.name("name", name);
    CustomerId id = new CustomerId(Keys.newId(CustomerId.PREFIX));
    long now = clock.millis();
    return writer.write(tx -> {
      tx.insertInto(CUSTOMERS)
          .set(CUSTOMERS.ID, id.value())
          .set(CUSTOMERS.NAME, clean)
          .set(CUSTOMERS.CREATED_AT, now)
          .execute();
      EventLog.record(tx, now, actor, "customer.created", id, null, "name=" + clean);
      return new Customer(id, clean, Instant.ofEpochMilli(now));
    });
  }

  void delete(CustomerId id, String actor) {
    long now = clock.millis();
    writer.write(tx -> {
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
        EventLog.record(tx, now, actor, "license.revoked", id, new LicenseId(licenseId), "customer deleted");
      }
      EventLog.record(tx, now, actor, "customer.deleted", id, null, null);
      return null;
    });
  }

  IssuedKey createKey(CustomerId id, String actor) {
    String key = Keys.newKey();
    String keyId = Keys.newId("key_");
    long now = clock.millis();
    return writer.write(tx -> {
      liveCustomer(tx, id);
      tx.insertInto(CUSTOMER_KEYS)
          .set(CUSTOMER_KEYS.ID, keyId)
          .set(CUSTOMER_KEYS.CUSTOMER_ID, id.value())
          .set(CUSTOMER_KEYS.KEY_HASH, Keys.hash(key))
          .set(CUSTOMER_KEYS.CREATED_AT, now)
          .execute();
      EventLog.record(tx, now, actor, "customer.key_created", id, null, "keyId=" + keyId);
      return new IssuedKey(id.value(), key, keyId);
    });
  }

  void revokeKey(CustomerId id, String keyId, String actor) {
    long now = clock.millis();
    writer.write(tx -> {
      liveCustomer(tx, id);
      int n = tx.update(CUSTOMER_KEYS).set(CUSTOMER_KEYS.REVOKED_AT, now)
          .where(CUSTOMER_KEYS.ID.eq(keyId), CUSTOMER_KEYS.CUSTOMER_ID.eq(id.value()),
              CUSTOMER_KEYS.REVOKED_AT.isNull())
          .execute();
      if (n == 0) {
        throw new InvalidInputException("keyId", "customer " + id + " has no active key " + keyId);
      }
      EventLog.record(tx, now, actor, "customer.key_revoked", id, null, "keyId=" + keyId);
      return null;
    });
  }

  /** Renames customer {@code id}; a name equal to the current one changes nothing and records nothing. */
  Customer rename(CustomerId id, String name, String actor) {
    String clean = Inputs.name("name", name);
    long now = clock.millis();
    return writer.write(tx -> {
      CustomersRecord r = liveCustomer(tx, id);
      if (!clean.equals(r.getName())) {
        EventLog.record(tx, now, actor, "customer.renamed", id, null, r.getName() + " -> " + clean);
        r.setName(clean);
        r.store();
      }
      return new Customer(id, r.getName(), Instant.ofEpochMilli(r.getCreatedAt()));
    });
  }

  static CustomersRecord liveCustomer(DSLContext tx, CustomerId id) {
    CustomersRecord r = tx.selectFrom(CUSTOMERS)
        .where(CUSTOMERS.ID.eq(id.value()), CUSTOMERS.DELETED_AT.isNull())
        .fetchOne();
    if (r == null) {
      throw new NoSuchCustomerException(id.value());
    }
    return r;
  }
}
