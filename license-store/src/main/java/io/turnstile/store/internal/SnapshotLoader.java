package io.turnstile.store.internal;

import static io.turnstile.store.internal.db.Tables.CUSTOMERS;
import static io.turnstile.store.internal.db.Tables.CUSTOMER_KEYS;
import static io.turnstile.store.internal.db.Tables.LICENSES;
import static io.turnstile.store.internal.db.Tables.LICENSE_ENTITLEMENTS;
import static io.turnstile.store.internal.db.Tables.LICENSE_RANGES;
import static io.turnstile.store.internal.db.Tables.LICENSE_VERSIONS;
import static io.turnstile.store.internal.db.Tables.PULL_TOKENS;

import io.turnstile.store.Catalog;
import io.turnstile.store.Customer;
import io.turnstile.store.CustomerId;
import io.turnstile.store.EntitlementFields;
import io.turnstile.store.InvalidInputException;
import io.turnstile.store.License;
import io.turnstile.store.LicenseId;
import io.turnstile.store.PullToken;
import io.turnstile.store.Snapshot;
import io.turnstile.store.Snapshot.CustomerEntry;
import io.turnstile.store.Snapshot.KeyEntry;
import io.turnstile.store.Snapshot.LicenseEntry;
import io.turnstile.store.Snapshot.TokenEntry;
import io.turnstile.store.TagsSeen;
import io.turnstile.store.UpstreamCredentials;
import io.turnstile.store.VersionRange;
import io.turnstile.store.internal.db.tables.records.LicensesRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads customers, keys and licenses from the database into {@link Snapshot}s. */
final class SnapshotLoader {
  private static final Logger log = LoggerFactory.getLogger(SnapshotLoader.class);
  /** Distinct ranges remembered parsed; licenses mostly share a few, so each is parsed once. */
  private static final int MAX_PARSED_RANGES = 10_000;
  /** Rows a PostgreSQL cursor brings per round trip. */
  private static final int FETCH_SIZE = 10_000;
  /** Versions are letters, digits, '.', '_', '-' and '+' ({@link Inputs#versions}): a space parts them. */
  private static final String VERSION_SEPARATOR = " ";
  /** A range is on one line; its first character says whether it includes pre-releases. */
  private static final String RANGE_SEPARATOR = "\n";

  private final CredentialCipher cipher;
  private final Catalog catalog;
  private final TagsSeen seen;
  private final ConcurrentHashMap<String, VersionRange> parsedRanges = new ConcurrentHashMap<>();
  /** The entitlement fields the next snapshot carries; the configured ones until the store's are read. */
  private volatile EntitlementFields fields;

  SnapshotLoader(CredentialCipher cipher, Catalog catalog, TagsSeen seen) {
    this.cipher = cipher;
    this.catalog = catalog;
    this.seen = seen;
    this.fields = EntitlementFields.of(catalog);
  }

  /** Every live customer, in four queries whatever the store's size. */
  Snapshot loadAll(DSLContext dsl) {
    return new Snapshot(catalog, seen, load(dsl, DSL.noCondition())).withEntitlements(fields);
  }

  /** The entitlement fields as last read from the store. */
  EntitlementFields fields() {
    return fields;
  }

  /** Sets the fields that {@link #current} and every later load give snapshots. */
  void fields(EntitlementFields next) {
    this.fields = java.util.Objects.requireNonNull(next, "fields");
  }

  /** {@code snapshot} with the entitlement fields as last read; itself when they are the same. */
  Snapshot current(Snapshot snapshot) {
    return snapshot.withEntitlements(fields);
  }

  /** {@code current} with one customer reloaded (or dropped, when deleted). */
  Snapshot reload(DSLContext dsl, Snapshot current, CustomerId id) {
    Map<CustomerId, CustomerEntry> one = load(dsl, CUSTOMERS.ID.eq(id.value()));
    return current.with(id, one.get(id));
  }

  /**
   * The live customers that {@code customerFilter} selects, each entry built as the rows stream:
   * one query for the customers, one for their keys, one for their licenses and one for their pull tokens, each license row
   * carrying its versions and ranges aggregated by the database. No map of versions, ranges or
   * licenses by id is ever held; only the customers' entries being built. All in one transaction,
   * so the four queries read the same state (and PostgreSQL streams them in batches).
   */
  private Map<CustomerId, CustomerEntry> load(DSLContext dsl, Condition customerFilter) {
    return dsl.transactionResult(cfg -> stream(cfg.dsl(), customerFilter));
  }

  private Map<CustomerId, CustomerEntry> stream(DSLContext dsl, Condition customerFilter) {
    Condition live = DSL.and(customerFilter, CUSTOMERS.DELETED_AT.isNull());
    Map<String, EntryBuilder> building = new HashMap<>();
    try (var cursor = dsl.select(CUSTOMERS.ID, CUSTOMERS.NAME, CUSTOMERS.CREATED_AT).from(CUSTOMERS).where(live)
        .fetchSize(FETCH_SIZE).fetchLazy()) {
      for (var r : cursor) {
        building.put(r.value1(), new EntryBuilder(
            new Customer(new CustomerId(r.value1()), r.value2(), Instant.ofEpochMilli(r.value3()))));
      }
    }
    try (var cursor = dsl.select(CUSTOMER_KEYS.CUSTOMER_ID, CUSTOMER_KEYS.ID, CUSTOMER_KEYS.KEY_HASH)
        .from(CUSTOMER_KEYS).join(CUSTOMERS).on(CUSTOMERS.ID.eq(CUSTOMER_KEYS.CUSTOMER_ID))
        .where(live, CUSTOMER_KEYS.REVOKED_AT.isNull())
        .fetchSize(FETCH_SIZE).fetchLazy()) {
      for (var r : cursor) {
        EntryBuilder entry = building.get(r.value1());
        if (entry != null) {
          entry.keys.add(new KeyEntry(r.value2(), r.value3()));
        }
      }
    }
    Field<String> versions = DSL.field(DSL.select(DSL.groupConcat(LICENSE_VERSIONS.VERSION).separator(VERSION_SEPARATOR))
        .from(LICENSE_VERSIONS).where(LICENSE_VERSIONS.LICENSE_ID.eq(LICENSES.ID))).as("granted_versions");
    Field<String> ranges = DSL.field(DSL.select(DSL.groupConcat(
            DSL.when(LICENSE_RANGES.INCLUDE_PRERELEASE, DSL.inline("+")).otherwise(DSL.inline("-"))
                .concat(LICENSE_RANGES.EXPRESSION)).separator(RANGE_SEPARATOR))
        .from(LICENSE_RANGES).where(LICENSE_RANGES.LICENSE_ID.eq(LICENSES.ID))).as("granted_ranges");
    // Names hold no '=' and values no control characters (Inputs.entitlements): '\n' parts them.
    Field<String> entitlements = DSL.field(DSL.select(DSL.groupConcat(
            LICENSE_ENTITLEMENTS.NAME.concat(DSL.inline("=")).concat(LICENSE_ENTITLEMENTS.VALUE)).separator("\n"))
        .from(LICENSE_ENTITLEMENTS).where(LICENSE_ENTITLEMENTS.LICENSE_ID.eq(LICENSES.ID))).as("entitlement_values");
    Interner interner = new Interner();
    try (var cursor = dsl.select(LICENSES.fields()).select(versions, ranges, entitlements)
        .from(LICENSES).join(CUSTOMERS).on(CUSTOMERS.ID.eq(LICENSES.CUSTOMER_ID))
        .where(live)
        .fetchSize(FETCH_SIZE).fetchLazy()) {
      for (Record row : cursor) {
        EntryBuilder entry = building.get(row.get(LICENSES.CUSTOMER_ID));
        if (entry != null) {
          License license = license(row, splitVersions(row.get(versions), interner),
              splitRanges(row.get(LICENSES.ID), row.get(ranges)), splitEntitlements(row.get(entitlements)));
          entry.licenses.add(new LicenseEntry(license, row.get(LICENSES.KEY_HASH)));
        }
      }
    }
    try (var cursor = dsl.select(PULL_TOKENS.fields()).from(PULL_TOKENS)
        .join(CUSTOMERS).on(CUSTOMERS.ID.eq(PULL_TOKENS.CUSTOMER_ID))
        .where(live, PULL_TOKENS.REVOKED_AT.isNull())
        .fetchSize(FETCH_SIZE).fetchLazy()) {
      for (Record row : cursor) {
        EntryBuilder entry = building.get(row.get(PULL_TOKENS.CUSTOMER_ID));
        if (entry != null) {
          entry.tokens.add(new TokenEntry(pullToken(row), row.get(PULL_TOKENS.TOKEN_HASH)));
        }
      }
    }
    Map<CustomerId, CustomerEntry> out = new HashMap<>(building.size() * 4 / 3 + 1);
    building.values().forEach(b -> out.put(b.customer.id(), b.build()));
    return out;
  }

  /** One customer's entry while its rows stream in. */
  private static final class EntryBuilder {
    final Customer customer;
    final List<KeyEntry> keys = new ArrayList<>(1);
    final List<LicenseEntry> licenses = new ArrayList<>();
    final List<TokenEntry> tokens = new ArrayList<>(0);

    EntryBuilder(Customer customer) {
      this.customer = customer;
    }

    CustomerEntry build() {
      return new CustomerEntry(customer, keys, licenses, tokens);
    }
  }

  /** One instance of each version string for a load: licenses mostly grant the same few. */
  private static final class Interner {
    private final HashMap<String, String> seen = new HashMap<>();

    String of(String s) {
      String known = seen.putIfAbsent(s, s);
      return known != null ? known : s;
    }
  }

  /** The versions aggregated in one column, sorted and distinct as {@link License} keeps them. */
  private static List<String> splitVersions(String joined, Interner interner) {
    if (joined == null || joined.isEmpty()) {
      return List.of();
    }
    String[] parts = joined.split(VERSION_SEPARATOR);
    for (int i = 0; i < parts.length; i++) {
      parts[i] = interner.of(parts[i]);
    }
    return Arrays.asList(parts);
  }

  private List<VersionRange> splitRanges(String licenseId, String joined) {
    if (joined == null || joined.isEmpty()) {
      return List.of();
    }
    List<VersionRange> out = new ArrayList<>(2);
    for (String line : joined.split(RANGE_SEPARATOR)) {
      if (line.isEmpty()) {
        continue;
      }
      VersionRange range = range(licenseId, line.substring(1), line.charAt(0) == '+');
      if (range != null) {
        out.add(range);
      }
    }
    return out;
  }

  /** The entitlement values aggregated in one column as {@code name=value} lines. */
  private static Map<String, String> splitEntitlements(String joined) {
    if (joined == null || joined.isEmpty()) {
      return Map.of();
    }
    Map<String, String> out = new HashMap<>();
    for (String line : joined.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        out.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    return out;
  }

  /** Entitlement values per license id, for all licenses or one customer's. */
  Map<String, Map<String, String>> entitlementsOf(DSLContext dsl, CustomerId customer) {
    Map<String, Map<String, String>> out = new HashMap<>();
    var select = dsl.select(LICENSE_ENTITLEMENTS.LICENSE_ID, LICENSE_ENTITLEMENTS.NAME, LICENSE_ENTITLEMENTS.VALUE)
        .from(LICENSE_ENTITLEMENTS).join(LICENSES).on(LICENSES.ID.eq(LICENSE_ENTITLEMENTS.LICENSE_ID));
    (customer == null ? select : select.where(LICENSES.CUSTOMER_ID.eq(customer.value())))
        .forEach(r -> out.computeIfAbsent(r.value1(), k -> new HashMap<>()).put(r.value2(), r.value3()));
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
    Map<String, String> entitlements = new HashMap<>();
    dsl.select(LICENSE_ENTITLEMENTS.NAME, LICENSE_ENTITLEMENTS.VALUE).from(LICENSE_ENTITLEMENTS)
        .where(LICENSE_ENTITLEMENTS.LICENSE_ID.eq(id.value()))
        .forEach(x -> entitlements.put(x.value1(), x.value2()));
    return Optional.of(license(r, versions, ranges, entitlements));
  }

  /** A license from a row holding the {@code licenses} columns (a {@link LicensesRecord} or a wider row). */
  License license(Record r, List<String> versions, List<VersionRange> ranges, Map<String, String> entitlements) {
    String id = r.get(LICENSES.ID);
    String username = r.get(LICENSES.UPSTREAM_USERNAME);
    String passwordEnc = r.get(LICENSES.UPSTREAM_PASSWORD_ENC);
    UpstreamCredentials creds = username == null || passwordEnc == null
        ? null
        : new UpstreamCredentials(username, cipher.decrypt(passwordEnc, id));
    return new License(
        new LicenseId(id),
        new CustomerId(r.get(LICENSES.CUSTOMER_ID)),
        r.get(LICENSES.NAME),
        r.get(LICENSES.APPLICATION).intern(),
        instant(r.get(LICENSES.EXPIRES_AT)),
        instant(r.get(LICENSES.REVOKED_AT)),
        versions,
        ranges,
        Boolean.TRUE.equals(r.get(LICENSES.KEEP_RELEASED_BEFORE_EXPIRY)),
        r.get(LICENSES.KEY_ID),
        creds,
        Instant.ofEpochMilli(r.get(LICENSES.CREATED_AT)),
        Instant.ofEpochMilli(r.get(LICENSES.UPDATED_AT)),
        entitlements);
  }

  /** A pull token from a row holding the {@code pull_tokens} columns; its last use as stored. */
  static PullToken pullToken(Record r) {
    return new PullToken(r.get(PULL_TOKENS.ID), new LicenseId(r.get(PULL_TOKENS.LICENSE_ID)),
        new CustomerId(r.get(PULL_TOKENS.CUSTOMER_ID)), r.get(PULL_TOKENS.NAME),
        Instant.ofEpochMilli(r.get(PULL_TOKENS.CREATED_AT)), instant(r.get(PULL_TOKENS.EXPIRES_AT)),
        instant(r.get(PULL_TOKENS.REVOKED_AT)), instant(r.get(PULL_TOKENS.LAST_USED_AT)));
  }

  private static Instant instant(Long ms) {
    return ms == null ? null : Instant.ofEpochMilli(ms);
  }
}
