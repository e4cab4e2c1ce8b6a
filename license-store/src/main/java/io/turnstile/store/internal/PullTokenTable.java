package io.turnstile.store.internal;

import static io.turnstile.store.internal.db.Tables.CUSTOMERS;
import static io.turnstile.store.internal.db.Tables.LICENSES;
import static io.turnstile.store.internal.db.Tables.PULL_TOKENS;

import io.turnstile.store.CustomerId;
import io.turnstile.store.InvalidInputException;
import io.turnstile.store.IssuedPullToken;
import io.turnstile.store.Keys;
import io.turnstile.store.LicenseId;
import io.turnstile.store.NoSuchLicenseException;
import io.turnstile.store.NoSuchPullTokenException;
import io.turnstile.store.PullToken;
import io.turnstile.store.PullTokens;
import io.turnstile.store.internal.db.tables.records.LicensesRecord;
import io.turnstile.store.internal.db.tables.records.PullTokensRecord;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.jooq.DSLContext;

/**
 * The pull tokens on jOOQ. Creation and revocation are events of the license's customer, so the
 * snapshot (and every replica's, through the change feed) reloads that customer with its live
 * tokens. Uses are noted by {@link LastUses}, not written once per pull.
 */
final class PullTokenTable implements PullTokens, AutoCloseable {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1," + MAX_NAME + "}");

  private final StoreWriter writer;
  private final Clock clock;
  private final LastUses pending;
  /**
   * The last use this replica saw of each token: the snapshot keeps the stored time of its last
   * load, which batched writes do not refresh. One entry per token used since the start.
   */
  private final Map<String, Long> lastSeen = new ConcurrentHashMap<>();

  PullTokenTable(StoreWriter writer, Clock clock) {
    this.writer = writer;
    this.clock = clock;
    this.pending = new LastUses(writer, PULL_TOKENS, PULL_TOKENS.ID, PULL_TOKENS.LAST_USED_AT, "pull tokens");
  }

  @Override
  public IssuedPullToken create(LicenseId license, String name, Instant expiresAt, String actor) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new InvalidInputException("name", "must be 1 to " + MAX_NAME + " letters, digits, '.', '_' or '-'");
    }
    Instant now = clock.instant();
    if (expiresAt != null && !expiresAt.isAfter(now)) {
      throw new InvalidInputException("expiresAt", "must be in the future");
    }
    String secret = Keys.newPullToken();
    PullToken token = writer.write(tx -> insert(tx, liveLicense(tx, license), name, expiresAt, secret, now, actor));
    return new IssuedPullToken(token, secret);
  }

  @Override
  public List<PullToken> list(LicenseId license) {
    List<PullToken> out = new ArrayList<>();
    for (PullToken t : writer.snapshot().tokensOf(license)) {
      Long seen = lastSeen.get(t.id());
      out.add(seen == null ? t : t.usedAt(Instant.ofEpochMilli(seen)));
    }
    return out;
  }

  @Override
  public PullToken revoke(LicenseId license, String tokenId, String actor) {
    return writer.write(tx -> revoke(tx, liveToken(tx, license, tokenId), clock.millis(), actor));
  }

  @Override
  public IssuedPullToken rotate(LicenseId license, String tokenId, String actor) {
    String secret = Keys.newPullToken();
    Instant now = clock.instant();
    PullToken token = writer.write(tx -> {
      PullTokensRecord old = liveToken(tx, license, tokenId);
      LicensesRecord l = liveLicense(tx, license);
      revoke(tx, old, now.toEpochMilli(), actor);
      Instant expiresAt = old.getExpiresAt() == null ? null : Instant.ofEpochMilli(old.getExpiresAt());
      if (expiresAt != null && !expiresAt.isAfter(now)) {
        throw new InvalidInputException("expiresAt", "the token has expired: make a new one with a new expiry");
      }
      return insert(tx, l, old.getName(), expiresAt, secret, now, actor);
    });
    return new IssuedPullToken(token, secret);
  }

  /** Notes a use of {@code tokenId} now; written with the next batch. Memory only: safe on an event loop. */
  void used(String tokenId) {
    long now = clock.millis();
    pending.note(tokenId, now);
    lastSeen.merge(tokenId, now, Math::max);
  }

  private PullToken insert(DSLContext tx, LicensesRecord license, String name, Instant expiresAt, String secret,
      Instant now, String actor) {
    long at = now.toEpochMilli();
    var live = PULL_TOKENS.LICENSE_ID.eq(license.getId()).and(PULL_TOKENS.REVOKED_AT.isNull())
        .and(PULL_TOKENS.EXPIRES_AT.isNull().or(PULL_TOKENS.EXPIRES_AT.gt(at)));
    if (tx.fetchExists(PULL_TOKENS, live.and(PULL_TOKENS.NAME.eq(name)))) {
      throw new InvalidInputException("name", "the license already has a pull token named " + name
          + ": revoke or rotate it, or choose another name");
    }
    if (tx.fetchCount(PULL_TOKENS, live) >= MAX_PER_LICENSE) {
      throw new InvalidInputException("name", "the license already has " + MAX_PER_LICENSE
          + " pull tokens, the most it may hold: revoke one it no longer needs first");
    }
    String id = Keys.newId(Keys.PULL_TOKEN_ID_PREFIX);
    tx.insertInto(PULL_TOKENS)
        .set(PULL_TOKENS.ID, id)
        .set(PULL_TOKENS.LICENSE_ID, license.getId())
        .set(PULL_TOKENS.CUSTOMER_ID, license.getCustomerId())
        .set(PULL_TOKENS.NAME, name)
        .set(PULL_TOKENS.TOKEN_HASH, Keys.hash(secret))
        .set(PULL_TOKENS.CREATED_AT, at)
        .set(PULL_TOKENS.EXPIRES_AT, expiresAt == null ? null : expiresAt.toEpochMilli())
        .execute();
    EventLog.record(tx, at, actor, "license.pull_token_created", license, describe(id, name)
        + (expiresAt == null ? "" : ", expires " + expiresAt));
    return new PullToken(id, new LicenseId(license.getId()), new CustomerId(license.getCustomerId()), name, now,
        expiresAt, null, null);
  }

  private static PullToken revoke(DSLContext tx, PullTokensRecord r, long now, String actor) {
    tx.update(PULL_TOKENS).set(PULL_TOKENS.REVOKED_AT, now).where(PULL_TOKENS.ID.eq(r.getId())).execute();
    EventLog.record(tx, now, actor, "license.pull_token_revoked", new CustomerId(r.getCustomerId()),
        new LicenseId(r.getLicenseId()), describe(r.getId(), r.getName()));
    r.setRevokedAt(now);
    return SnapshotLoader.pullToken(r);
  }

  /** The license, when it and its customer are live: a revoked license takes no new tokens. */
  private static LicensesRecord liveLicense(DSLContext tx, LicenseId id) {
    LicensesRecord r = tx.selectFrom(LICENSES).where(LICENSES.ID.eq(id.value()), LICENSES.REVOKED_AT.isNull(),
        LICENSES.CUSTOMER_ID.in(tx.select(CUSTOMERS.ID).from(CUSTOMERS).where(CUSTOMERS.DELETED_AT.isNull())))
        .fetchOne();
    if (r == null) {
      throw new NoSuchLicenseException(id.value());
    }
    return r;
  }

  private static PullTokensRecord liveToken(DSLContext tx, LicenseId license, String tokenId) {
    PullTokensRecord r = tx.selectFrom(PULL_TOKENS)
        .where(PULL_TOKENS.ID.eq(tokenId == null ? "" : tokenId), PULL_TOKENS.LICENSE_ID.eq(license.value()),
            PULL_TOKENS.REVOKED_AT.isNull())
        .fetchOne();
    if (r == null) {
      throw new NoSuchPullTokenException(tokenId);
    }
    return r;
  }

  private static String describe(String id, String name) {
    return "pull token " + name + " (" + id + ")";
  }

  /** Stops noting uses after writing what it holds. */
  @Override
  public void close() {
    pending.close();
  }
}
