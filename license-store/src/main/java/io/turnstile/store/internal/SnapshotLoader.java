package io.turnstile.store.internal;

import static io.turnstile.store.internal.db.Tables.CUSTOMERS;
import static io.turnstile.store.internal.db.Tables.CUSTOMER_KEYS;
import static io.turnstile.store.internal.db.Tables.LICENSES;
import static io.turnstile.store.internal.db.Tables.LICENSE_RANGES;
import static io.turnstile.store.internal.db.Tables.LICENSE_VERSIONS;

import io.turnstile.store.Catalog;
import io.turnstile.store.Customer;
import io.turnstile.store.CustomerId;
import io.turnstile.store.InvalidInputException;
import io.turnstile.store.License;
import io.turnstile.store.LicenseId;
import io.turnstile.store.Snapshot;
import io.turnstile.store.Snapshot.CustomerEntry;
import io.turnstile.store.Snapshot.KeyEntry;
import io.turnstile.store.Snapshot.LicenseEntry;
import io.turnstile.store.TagsSeen;
import io.turnstile.store.UpstreamCredentials;
import io.turnstile.store.VersionRange;
import io.turnstile.store.internal.db.tables.records.CustomersRecord;
import io.turnstile.store.internal.db.tables.records.LicensesRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads customers, keys and licenses from the database into {@link Snapshot}s. */
final class SnapshotLoader {
  private static final Logger log = LoggerFactory.getLogger(SnapshotLoader.class);
  /** Distinct ranges remembered parsed; licenses mostly share a few, so each is parsed once. */
  private static final int MAX_PARSED_RANGES = 10_000;

  private final CredentialCipher cipher;
  private final Catalog catalog;
  private final TagsSeen seen;
  private final ConcurrentHashMap<String, VersionRange> parsedRanges = new ConcurrentHashMap<>();

  SnapshotLoader(CredentialCipher cipher, Catalog catalog, TagsSeen seen) {
    this.cipher = cipher;
    this.catalog = catalog;
    this.seen = seen;
  }

  /** Every live customer, in five queries whatever the store's size. */
  Snapshot loadAll(DSLContext dsl) {
    return new Snapshot(catalog, seen, load(dsl, DSL.noCondition()));
  }

  /** {@code current} with one customer reloaded (or dropped, when deleted). */
  Snapshot reload(DSLContext dsl, Snapshot current, CustomerId id) {
    Map<CustomerId, CustomerEntry> one = load(dsl, CUSTOMERS.ID.eq(id.value()));
    return current.with(id, one.get(id));
  }

  private Map<CustomerId, CustomerEntry> load(DSLContext dsl, Condition customerFilter) {
    boolean whole = customerFilter.equals(DSL.noCondition());
    Map<String, Customer> customers = new HashMap<>();
    for (CustomersRecord r : dsl.selectFrom(CUSTOMERS).where(customerFilter, CUSTOMERS.DELETED_AT.isNull()).fetch()) {
      customers.put(r.getId(), new Customer(new CustomerId(r.getId()), r.getName(), Instant.ofEpochMilli(r.getCreatedAt())));
    }
    Map<String, List<KeyEntry>> keys = new HashMap<>();
    dsl.select(CUSTOMER_KEYS.CUSTOMER_ID, CUSTOMER_KEYS.ID, CUSTOMER_KEYS.KEY_HASH)
        .from(CUSTOMER_KEYS).join(CUSTOMERS).on(CUSTOMERS.ID.eq(CUSTOMER_KEYS.CUSTOMER_ID))
        .where(customerFilter, CUSTOMERS.DELETED_AT.isNull(), CUSTOMER_KEYS.REVOKED_AT.isNull())
        .forEach(r -> keys.computeIfAbsent(r.value1(), k -> new ArrayList<>()).add(new KeyEntry(r.value2(), r.value3())));
    Map<String, List<String>> versions = new HashMap<>();
    var versionQuery = whole
        // The whole store: every row, no joins; rows of deleted customers' licenses go unused.
        ? dsl.select(LICENSE_VERSIONS.LICENSE_ID, LICENSE_VERSIONS.VERSION).from(LICENSE_VERSIONS)
        : dsl.select(LICENSE_VERSIONS.LICENSE_ID, LICENSE_VERSIONS.VERSION)
            .from(LICENSE_VERSIONS)
            .join(LICENSES).on(LICENSES.ID.eq(LICENSE_VERSIONS.LICENSE_ID))
            .join(CUSTOMERS).on(CUSTOMERS.ID.eq(LICENSES.CUSTOMER_ID))
            .where(customerFilter, CUSTOMERS.DELETED_AT.isNull());
    try (var cursor = versionQuery.fetchSize(10_000).fetchLazy()) {
      for (var r : cursor) {
        versions.computeIfAbsent(r.value1(), k -> new ArrayList<>(10)).add(r.value2().intern());
      }
    }
    Map<String, List<VersionRange>> ranges = new HashMap<>();
    var rangeQuery = whole
        ? dsl.select(LICENSE_RANGES.LICENSE_ID, LICENSE_RANGES.EXPRESSION, LICENSE_RANGES.INCLUDE_PRERELEASE)
            .from(LICENSE_RANGES)
        : dsl.select(LICENSE_RANGES.LICENSE_ID, LICENSE_RANGES.EXPRESSION, LICENSE_RANGES.INCLUDE_PRERELEASE)
            .from(LICENSE_RANGES)
            .join(LICENSES).on(LICENSES.ID.eq(LICENSE_RANGES.LICENSE_ID))
            .join(CUSTOMERS).on(CUSTOMERS.ID.eq(LICENSES.CUSTOMER_ID))
            .where(customerFilter, CUSTOMERS.DELETED_AT.isNull());
    try (var cursor = rangeQuery.fetchSize(10_000).fetchLazy()) {
      for (var r : cursor) {
        VersionRange range = range(r.value1(), r.value2(), r.value3());
        if (range != null) {
          ranges.computeIfAbsent(r.value1(), k -> new ArrayList<>(2)).add(range);
        }
      }
    }
    Map<String, List<LicenseEntry>> licenses = new HashMap<>();
    dsl.select(LICENSES.fields()).from(LICENSES).join(CUSTOMERS).on(CUSTOMERS.ID.eq(LICENSES.CUSTOMER_ID))
        .where(customerFilter, CUSTOMERS.DELETED_AT.isNull())
        .fetchInto(LICENSES)
        .forEach(r -> licenses.computeIfAbsent(r.getCustomerId(), k -> new ArrayList<>())
            .add(new LicenseEntry(license(r, versions.getOrDefault(r.getId(), List.of()),
                ranges.getOrDefault(r.getId(), List.of())), r.getKeyHash())));
    Map<CustomerId, CustomerEntry> out = new HashMap<>();
    for (Customer c : customers.values()) {
      String id = c.id().value();
      out.put(c.id(), new CustomerEntry(c, keys.getOrDefault(id, List.of()), licenses.getOrDefault(id, List.of())));
    }
    return out;
  }

  /** Versions per license id, for all licenses or one customer's. */
  Map<String, List<String>> versionsOf(DSLContext dsl, CustomerId customer) {
    Map<String, List<String>> versions = new HashMap<>();
    var select = dsl.select(LICENSE_VERSIONS.LICENSE_ID, LICENSE_VERSIONS.VERSION)
        .from(LICENSE_VERSIONS).join(LICENSES).on(LICENSES.ID.eq(LICENSE_VERSIONS.LICENSE_ID));
    (customer == null ? select : select.where(LICENSES.CUSTOMER_ID.eq(customer.value())))
        .forEach(r -> versions.computeIfAbsent(r.value1(), k -> new ArrayList<>()).add(r.value2()));
    return versions;
  }

  /** Ranges per license id, for all licenses or one customer's. */
  Map<String, List<VersionRange>> rangesOf(DSLContext dsl, CustomerId customer) {
    Map<String, List<VersionRange>> ranges = new HashMap<>();
    var select = dsl.select(LICENSE_RANGES.LICENSE_ID, LICENSE_RANGES.EXPRESSION, LICENSE_RANGES.INCLUDE_PRERELEASE)
        .from(LICENSE_RANGES).join(LICENSES).on(LICENSES.ID.eq(LICENSE_RANGES.LICENSE_ID));
    (customer == null ? select : select.where(LICENSES.CUSTOMER_ID.eq(customer.value()))).forEach(r -> {
      VersionRange range = range(r.value1(), r.value2(), r.value3());
      if (range != null) {
        ranges.computeIfAbsent(r.value1(), k -> new ArrayList<>()).add(range);
      }
    });
    return ranges;
  }

  /**
   * A stored range, parsed once per distinct expression; null (and a warning) for one that no
   * longer parses, which then grants nothing rather than stopping the store.
   */
  private VersionRange range(String licenseId, String expression, boolean includePrerelease) {
    String key = (includePrerelease ? "+" : "-") + expression;
    VersionRange known = parsedRanges.get(key);
    if (known != null) {
      return known;
    }
    try {
      VersionRange parsed = VersionRange.parse("range", expression, includePrerelease);
      if (parsedRanges.size() >= MAX_PARSED_RANGES) {
        parsedRanges.clear();
      }
      parsedRanges.put(key, parsed);
      return parsed;
    } catch (InvalidInputException e) {
      log.warn("license {} has a stored range that does not parse, left out: {}", licenseId, e.getMessage());
      return null;
    }
  }

  Optional<License> license(DSLContext dsl, LicenseId id) {
    LicensesRecord r = dsl.selectFrom(LICENSES).where(LICENSES.ID.eq(id.value())).fetchOne();
    if (r == null) {
      return Optional.empty();
    }
    List<String> versions = dsl.select(LICENSE_VERSIONS.VERSION).from(LICENSE_VERSIONS)
        .where(LICENSE_VERSIONS.LICENSE_ID.eq(id.value())).fetch(LICENSE_VERSIONS.VERSION);
    List<VersionRange> ranges = new ArrayList<>();
    dsl.select(LICENSE_RANGES.EXPRESSION, LICENSE_RANGES.INCLUDE_PRERELEASE).from(LICENSE_RANGES)
        .where(LICENSE_RANGES.LICENSE_ID.eq(id.value()))
        .forEach(x -> {
          VersionRange range = range(id.value(), x.value1(), x.value2());
          if (range != null) {
            ranges.add(range);
          }
        });
    return Optional.of(license(r, versions, ranges));
  }

  License license(LicensesRecord r, List<String> versions, List<VersionRange> ranges) {
    UpstreamCredentials creds = r.getUpstreamUsername() == null || r.getUpstreamPasswordEnc() == null
        ? null
        : new UpstreamCredentials(r.getUpstreamUsername(), cipher.decrypt(r.getUpstreamPasswordEnc(), r.getId()));
    return new License(
        new LicenseId(r.getId()),
        new CustomerId(r.getCustomerId()),
        r.getName(),
        r.getApplication().intern(),
        instant(r.getExpiresAt()),
        instant(r.getRevokedAt()),
        versions,
        ranges,
        Boolean.TRUE.equals(r.getKeepReleasedBeforeExpiry()),
        r.getKeyId(),
        creds,
        Instant.ofEpochMilli(r.getCreatedAt()),
        Instant.ofEpochMilli(r.getUpdatedAt()));
  }

  private static Instant instant(Long ms) {
    return ms == null ? null : Instant.ofEpochMilli(ms);
  }
}
