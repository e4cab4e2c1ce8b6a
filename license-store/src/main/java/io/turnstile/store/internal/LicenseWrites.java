package io.turnstile.store.internal;

import static io.turnstile.store.internal.db.Tables.CUSTOMERS;
import static io.turnstile.store.internal.db.Tables.LICENSE_RANGES;
import static io.turnstile.store.internal.db.Tables.LICENSE_VERSIONS;
import static io.turnstile.store.internal.db.Tables.LICENSES;
import static io.turnstile.store.internal.db.Tables.PULL_TOKENS;
import static io.turnstile.store.internal.db.Tables.LICENSE_ENTITLEMENTS;

import io.turnstile.store.StoreOutcomeUnknownException;
import io.turnstile.store.Catalog;
import io.turnstile.store.Change;
import io.turnstile.store.CustomerId;
import io.turnstile.store.InvalidInputException;
import io.turnstile.store.IssuedKey;
import io.turnstile.store.Keys;
import io.turnstile.store.License;
import io.turnstile.store.LicenseId;
import io.turnstile.store.LicensePatch;
import io.turnstile.store.NewLicense;
import io.turnstile.store.NoSuchRangeException;
import io.turnstile.store.NoSuchVersionException;
import io.turnstile.store.RangeGrant;
import io.turnstile.store.UpstreamCredentials;
import io.turnstile.store.VersionRange;
import io.turnstile.store.internal.StoreWriter.IfRevoked;
import io.turnstile.store.internal.db.tables.records.LicensesRecord;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jooq.DSLContext;

/**
 * The writes of licenses: creation, the changes of a live license, and revocation. Each checks its
 * input before it takes the writer, and records what it changed as events.
 */
final class LicenseWrites {
  private final StoreWriter writer;
  private final CredentialCipher cipher;
  private final Catalog catalog;
  private final SnapshotLoader loader;
  private final Clock clock;

  /** @param loader knows the entitlement fields that values are checked against */
  LicenseWrites(StoreWriter writer, CredentialCipher cipher, Catalog catalog, SnapshotLoader loader, Clock clock) {
    this.writer = writer;
    this.cipher = cipher;
    this.catalog = catalog;
    this.loader = loader;
    this.clock = clock;
  }

  IssuedKey create(NewLicense request, String actor) {
    if (request.customerId() == null) {
      throw new InvalidInputException("customerId", "is required");
    }
    PreparedLicense l = PreparedLicense.of(request, catalog, loader.fields());
    long now = clock.millis();
    return writer.write(tx -> {
      if (!tx.fetchExists(CUSTOMERS, CUSTOMERS.ID.eq(request.customerId().value()), CUSTOMERS.DELETED_AT.isNull())) {
        throw new InvalidInputException("customerId", "no customer " + request.customerId());
      }
      LicensesRecord r = tx.newRecord(LICENSES);
      r.setId(l.id().value());
      r.setCustomerId(request.customerId().value());
      r.setName(l.name());
      r.setApplication(l.application());
      r.setExpiresAt(l.expiresAtMillis());
      r.setKeepReleasedBeforeExpiry(l.keepReleasedBeforeExpiry());
      r.setKeyId(l.keyId());
      r.setKeyHash(l.keyHash());
      setCredentials(r, l.id(), l.upstreamCredentials());
      r.setCreatedAt(now);
      r.setUpdatedAt(now);
      r.store();
      for (String v : l.versions()) {
        tx.insertInto(LICENSE_VERSIONS)
            .set(LICENSE_VERSIONS.LICENSE_ID, l.id().value())
            .set(LICENSE_VERSIONS.VERSION, v)
            .set(LICENSE_VERSIONS.GRANTED_AT, now)
            .execute();
      }
      for (VersionRange range : l.ranges()) {
        insertRange(tx, l.id(), range, now);
      }
      l.entitlements().forEach((name, value) -> tx.insertInto(LICENSE_ENTITLEMENTS)
          .set(LICENSE_ENTITLEMENTS.LICENSE_ID, l.id().value())
          .set(LICENSE_ENTITLEMENTS.NAME, name)
          .set(LICENSE_ENTITLEMENTS.VALUE, value)
          .execute());
      EventLog.record(tx, now, actor, "license.created", request.customerId(), l.id(), l.createdDetail());
      return l.issuedKey();
    });
  }

  /**
   * Moves license {@code id} to customer {@code to}, with its key, grants and pull tokens: the old
   * customer's key stops covering it and the new one's starts, on the next request. Recorded in the
   * license's history ({@code license.moved}) and in the old customer's events.
   */
  License move(LicenseId id, CustomerId to, String actor) {
    if (to == null) {
      throw new InvalidInputException("customerId", "is required");
    }
    long now = clock.millis();
    return writer.writeLicense(id, IfRevoked.REFUSE, (tx, r) -> {
      CustomerId from = new CustomerId(r.getCustomerId());
      if (from.equals(to)) {
        return;
      }
      if (!tx.fetchExists(CUSTOMERS, CUSTOMERS.ID.eq(to.value()), CUSTOMERS.DELETED_AT.isNull())) {
        throw new InvalidInputException("customerId", "no customer " + to);
      }
      r.setCustomerId(to.value());
      r.setUpdatedAt(now);
      r.store();
      tx.update(PULL_TOKENS).set(PULL_TOKENS.CUSTOMER_ID, to.value())
          .where(PULL_TOKENS.LICENSE_ID.eq(id.value())).execute();
      // The old customer's event reloads it too, so its key and portal let go of the license at once.
      EventLog.record(tx, now, actor, "customer.license_moved_out", from, null, id + " -> " + to);
      EventLog.record(tx, now, actor, "license.moved", to, id, from + " -> " + to);
    });
  }

  License update(LicenseId id, LicensePatch patch, String actor) {
    if (patch.name() instanceof Change.Clear) {
      throw new InvalidInputException("name", "cannot be cleared");
    }
    String newName = patch.name() instanceof Change.SetTo<String> set ? Inputs.name("name", set.value()) : null;
    if (patch.upstreamCredentials() instanceof Change.SetTo<UpstreamCredentials> set) {
      Inputs.checkCredentials(set.value());
    }
    if (patch.entitlements() instanceof Change.Clear) {
      throw new InvalidInputException("entitlements", "cannot be cleared; set a field to null to reset it");
    }
    Map<String, String> requested = patch.entitlements() instanceof Change.SetTo<Map<String, String>> set
        ? set.value() : Map.of();
    long now = clock.millis();
    return writer.writeLicense(id, IfRevoked.REFUSE, (tx, r) -> {
      boolean changed = false;
      if (newName != null && !newName.equals(r.getName())) {
        EventLog.record(tx, now, actor, "license.renamed", r, r.getName() + " -> " + newName);
        r.setName(newName);
        changed = true;
      }
      Long expiry = millis(patch.expiresAt().applyTo(instant(r.getExpiresAt())));
      if (!Objects.equals(expiry, r.getExpiresAt())) {
        EventLog.record(tx, now, actor, "license.expiry_changed", r,
            instant(r.getExpiresAt()) + " -> " + instant(expiry));
        r.setExpiresAt(expiry);
        changed = true;
      }
      boolean keep = patch.keepReleasedBeforeExpiry().applyTo(r.getKeepReleasedBeforeExpiry()) == Boolean.TRUE;
      if (keep != r.getKeepReleasedBeforeExpiry()) {
        EventLog.record(tx, now, actor, "license.keep_released_before_expiry_changed", r,
            r.getKeepReleasedBeforeExpiry() + " -> " + keep);
        r.setKeepReleasedBeforeExpiry(keep);
        changed = true;
      }
      // Setting credentials always counts as a change: the password is not compared.
      if (!patch.upstreamCredentials().keeps()) {
        UpstreamCredentials creds = patch.upstreamCredentials().applyTo(null);
        setCredentials(r, id, creds);
        EventLog.record(tx, now, actor, "license.upstream_credentials_changed", r,
            creds == null ? "cleared" : "upstreamUsername=" + creds.username());
        changed = true;
      }
      // Checked against the license's application, known once its row is read; a refusal rolls back.
      Map<String, String> entitlements = Inputs.entitlements(loader.fields(), r.getApplication(), requested);
      if (!entitlements.isEmpty() && setEntitlements(tx, id, entitlements, now, actor, r)) {
        changed = true;
      }
      if (changed) {
        r.setUpdatedAt(now);
        r.store();
      }
    });
  }

  /** Sets (or, for null, removes) the given values; records one event naming what changed. */
  private static boolean setEntitlements(DSLContext tx, LicenseId id, Map<String, String> values, long now,
      String actor, LicensesRecord r) {
    Map<String, String> have = new HashMap<>();
    tx.select(LICENSE_ENTITLEMENTS.NAME, LICENSE_ENTITLEMENTS.VALUE).from(LICENSE_ENTITLEMENTS)
        .where(LICENSE_ENTITLEMENTS.LICENSE_ID.eq(id.value()))
        .forEach(x -> have.put(x.value1(), x.value2()));
    List<String> changes = new ArrayList<>();
    for (Map.Entry<String, String> e : values.entrySet()) {
      String before = have.get(e.getKey());
      if (Objects.equals(before, e.getValue())) {
        continue;
      }
      tx.deleteFrom(LICENSE_ENTITLEMENTS)
          .where(LICENSE_ENTITLEMENTS.LICENSE_ID.eq(id.value()), LICENSE_ENTITLEMENTS.NAME.eq(e.getKey()))
          .execute();
      if (e.getValue() != null) {
        tx.insertInto(LICENSE_ENTITLEMENTS)
            .set(LICENSE_ENTITLEMENTS.LICENSE_ID, id.value())
            .set(LICENSE_ENTITLEMENTS.NAME, e.getKey())
            .set(LICENSE_ENTITLEMENTS.VALUE, e.getValue())
            .execute();
      }
      changes.add(e.getKey() + ": " + (before == null ? "default" : before) + " -> "
          + (e.getValue() == null ? "default" : e.getValue()));
    }
    if (changes.isEmpty()) {
      return false;
    }
    EventLog.record(tx, now, actor, "license.entitlements_changed", r, String.join(", ", changes));
    return true;
  }

  License grantVersions(LicenseId id, List<String> versions, String actor) {
    Set<String> wanted = Inputs.versions("versions", versions);
    if (wanted.isEmpty()) {
      throw new InvalidInputException("versions", "must list at least one version");
    }
    long now = clock.millis();
    return writer.writeLicense(id, IfRevoked.REFUSE, (tx, r) -> {
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
        EventLog.record(tx, now, actor, "license.versions_granted", r, "versions=" + added);
        r.setUpdatedAt(now);
        r.store();
      }
    });
  }

  License revokeVersion(LicenseId id, String version, String actor) {
    long now = clock.millis();
    return writer.writeLicense(id, IfRevoked.REFUSE, (tx, r) -> {
      int n = tx.deleteFrom(LICENSE_VERSIONS)
          .where(LICENSE_VERSIONS.LICENSE_ID.eq(id.value()), LICENSE_VERSIONS.VERSION.eq(version))
          .execute();
      if (n == 0) {
        throw new NoSuchVersionException(id, version);
      }
      EventLog.record(tx, now, actor, "license.version_revoked", r, "version=" + version);
      r.setUpdatedAt(now);
      r.store();
    });
  }

  License grantRanges(LicenseId id, List<RangeGrant> ranges, String actor) {
    Map<String, VersionRange> wanted = Inputs.ranges("ranges", ranges);
    if (wanted.isEmpty()) {
      throw new InvalidInputException("ranges", "must list at least one range");
    }
    long now = clock.millis();
    return writer.writeLicense(id, IfRevoked.REFUSE, (tx, r) -> {
      Map<String, Boolean> have = new HashMap<>();
      tx.select(LICENSE_RANGES.EXPRESSION, LICENSE_RANGES.INCLUDE_PRERELEASE).from(LICENSE_RANGES)
          .where(LICENSE_RANGES.LICENSE_ID.eq(id.value()))
          .forEach(row -> have.put(row.value1(), row.value2()));
      List<VersionRange> changed = new ArrayList<>();
      for (VersionRange range : wanted.values()) {
        Boolean prerelease = have.get(range.expression());
        if (prerelease == null) {
          insertRange(tx, id, range, now);
          changed.add(range);
        } else if (prerelease != range.includePrerelease()) {
          tx.update(LICENSE_RANGES).set(LICENSE_RANGES.INCLUDE_PRERELEASE, range.includePrerelease())
              .set(LICENSE_RANGES.GRANTED_AT, now)
              .where(LICENSE_RANGES.LICENSE_ID.eq(id.value()), LICENSE_RANGES.EXPRESSION.eq(range.expression()))
              .execute();
          changed.add(range);
        }
      }
      if (!changed.isEmpty()) {
        EventLog.record(tx, now, actor, "license.ranges_granted", r, "ranges=" + changed);
        r.setUpdatedAt(now);
        r.store();
      }
    });
  }

  License revokeRange(LicenseId id, String range, String actor) {
    String expression;
    try {
      expression = VersionRange.parse("range", range, false).expression();
    } catch (InvalidInputException notARange) {
      throw new NoSuchRangeException(id, range);
    }
    long now = clock.millis();
    return writer.writeLicense(id, IfRevoked.REFUSE, (tx, r) -> {
      int n = tx.deleteFrom(LICENSE_RANGES)
          .where(LICENSE_RANGES.LICENSE_ID.eq(id.value()), LICENSE_RANGES.EXPRESSION.eq(expression))
          .execute();
      if (n == 0) {
        throw new NoSuchRangeException(id, range);
      }
      EventLog.record(tx, now, actor, "license.range_revoked", r, "range=" + expression);
      r.setUpdatedAt(now);
      r.store();
    });
  }

  private static void insertRange(DSLContext tx, LicenseId id, VersionRange range, long now) {
    tx.insertInto(LICENSE_RANGES)
        .set(LICENSE_RANGES.LICENSE_ID, id.value())
        .set(LICENSE_RANGES.EXPRESSION, range.expression())
        .set(LICENSE_RANGES.INCLUDE_PRERELEASE, range.includePrerelease())
        .set(LICENSE_RANGES.GRANTED_AT, now)
        .execute();
  }

  IssuedKey rotateKey(LicenseId id, String actor) {
    String key = Keys.newKey();
    String keyId = Keys.newId("lk_");
    long now = clock.millis();
    try {
      writer.writeLicense(id, IfRevoked.REFUSE, (tx, r) -> {
        r.setKeyId(keyId);
        r.setKeyHash(Keys.hash(key));
        r.setUpdatedAt(now);
        r.store();
        EventLog.record(tx, now, actor, "license.key_rotated", r, null);
      });
    } catch (StoreOutcomeUnknownException e) {
      if (!e.committed()) {
        throw e;
      }
      // The new key is in force and the old one is dead: answering anything but the key would
      // lock the customer out until the next rotation.
    }
    return new IssuedKey(id.value(), key, keyId);
  }

  /** Revokes a live license; a revoked one is answered as it is. */
  License revoke(LicenseId id, String actor) {
    long now = clock.millis();
    return writer.writeLicense(id, IfRevoked.LEAVE_AS_IS, (tx, r) -> {
      r.setRevokedAt(now);
      r.setUpdatedAt(now);
      r.store();
      EventLog.record(tx, now, actor, "license.revoked", r, null);
    });
  }

  private void setCredentials(LicensesRecord r, LicenseId id, UpstreamCredentials creds) {
    r.setUpstreamUsername(creds == null ? null : creds.username());
    r.setUpstreamPasswordEnc(creds == null ? null : cipher.encrypt(creds.password(), id.value()));
  }

  private static Long millis(Instant t) {
    return t == null ? null : t.toEpochMilli();
  }

  private static Instant instant(Long ms) {
    return ms == null ? null : Instant.ofEpochMilli(ms);
  }
}
