package io.turnstile.store.internal;

import static io.turnstile.store.internal.db.Tables.API_TOKENS;

import io.turnstile.store.ApiToken;
import io.turnstile.store.ApiTokens;
import io.turnstile.store.InvalidInputException;
import io.turnstile.store.IssuedApiToken;
import io.turnstile.store.Keys;
import io.turnstile.store.NoSuchApiTokenException;
import io.turnstile.store.internal.db.tables.records.ApiTokensRecord;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.jooq.DSLContext;

/**
 * The API tokens on jOOQ. Writes go through the {@link StoreWriter} as events, and every replica
 * follows them: the usable tokens are reloaded into memory, by hash, on each token event, so
 * {@link #authenticate} is a hash and a map lookup. Uses are noted by {@link LastUses}.
 */
final class ApiTokenTable implements ApiTokens, AutoCloseable {
  /** Event actions about API tokens; they name no customer. */
  static final String EVENT_PREFIX = "api_token.";
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1," + MAX_NAME + "}");
  private static final int MAX_ROLE = 16;

  private final StoreWriter writer;
  private final Clock clock;
  /** The tokens not revoked, by hash; replaced whole on each reload. */
  private volatile Map<String, ApiToken> byHash = Map.of();
  private final LastUses uses;

  ApiTokenTable(StoreWriter writer, Clock clock) {
    this.writer = writer;
    this.clock = clock;
    writer.follow(EVENT_PREFIX, this::load);
    this.uses = new LastUses(writer, API_TOKENS, API_TOKENS.ID, API_TOKENS.LAST_USED_AT, "API tokens");
  }

  private void load(DSLContext dsl) {
    Map<String, ApiToken> next = new HashMap<>();
    dsl.selectFrom(API_TOKENS).where(API_TOKENS.REVOKED_AT.isNull())
        .forEach(r -> next.put(r.getTokenHash(), token(r)));
    byHash = Map.copyOf(next);
  }

  @Override
  public IssuedApiToken create(String name, String owner, String role, Instant expiresAt, String actor) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new InvalidInputException("name", "must be 1 to " + MAX_NAME + " letters, digits, '.', '_' or '-'");
    }
    String who = Inputs.name("owner", owner);
    if (role == null || role.isBlank() || role.length() > MAX_ROLE) {
      throw new InvalidInputException("role", "is required");
    }
    Instant now = clock.instant();
    if (expiresAt == null) {
      throw new InvalidInputException("expiresAt", "is required");
    }
    if (!expiresAt.isAfter(now)) {
      throw new InvalidInputException("expiresAt", "must be in the future");
    }
    String secret = Keys.newApiToken();
    String id = Keys.newId("at_");
    writer.write(tx -> {
      tx.insertInto(API_TOKENS)
          .set(API_TOKENS.ID, id)
          .set(API_TOKENS.NAME, name)
          .set(API_TOKENS.OWNER, who)
          .set(API_TOKENS.ROLE, role)
          .set(API_TOKENS.TOKEN_HASH, Keys.hash(secret))
          .set(API_TOKENS.CREATED_AT, now.toEpochMilli())
          .set(API_TOKENS.EXPIRES_AT, expiresAt.toEpochMilli())
          .execute();
      EventLog.record(tx, now.toEpochMilli(), actor, EVENT_PREFIX + "created", null, null,
          describe(id, name, who) + ", role " + role + ", expires " + expiresAt);
      return null;
    });
    return new IssuedApiToken(get(id), secret);
  }

  @Override
  public List<ApiToken> list() {
    try {
      return writer.database().dsl().selectFrom(API_TOKENS)
          .orderBy(API_TOKENS.CREATED_AT.desc(), API_TOKENS.ID)
          .fetch(r -> withUse(token(r)));
    } catch (RuntimeException e) {
      throw writer.database().translate(e);
    }
  }

  @Override
  public ApiToken get(String id) {
    ApiTokensRecord r;
    try {
      r = writer.database().dsl().selectFrom(API_TOKENS).where(API_TOKENS.ID.eq(id)).fetchOne();
    } catch (RuntimeException e) {
      throw writer.database().translate(e);
    }
    if (r == null) {
      throw new NoSuchApiTokenException(id);
    }
    return withUse(token(r));
  }

  @Override
  public ApiToken revoke(String id, String actor) {
    writer.write(tx -> {
      ApiTokensRecord r = tx.selectFrom(API_TOKENS).where(API_TOKENS.ID.eq(id)).fetchOne();
      if (r == null) {
        throw new NoSuchApiTokenException(id);
      }
      if (r.getRevokedAt() == null) {
        long now = clock.millis();
        tx.update(API_TOKENS).set(API_TOKENS.REVOKED_AT, now).where(API_TOKENS.ID.eq(id)).execute();
        EventLog.record(tx, now, actor, EVENT_PREFIX + "revoked", null, null,
            describe(id, r.getName(), r.getOwner()));
      }
      return null;
    });
    return get(id);
  }

  @Override
  public ApiToken authenticate(String secret) {
    if (secret == null || !secret.startsWith(Keys.API_TOKEN_PREFIX)) {
      return null;
    }
    ApiToken t = byHash.get(Keys.hash(secret));
    Instant now = clock.instant();
    if (t == null || !t.usableAt(now)) {
      return null;
    }
    uses.note(t.id(), now.toEpochMilli());
    return t;
  }

  private ApiToken withUse(ApiToken t) {
    Long pending = uses.pending(t.id());
    return pending == null ? t : t.usedAt(Instant.ofEpochMilli(pending));
  }

  private static String describe(String id, String name, String owner) {
    return name + " (" + id + ", owner " + owner + ")";
  }

  private static ApiToken token(ApiTokensRecord r) {
    return new ApiToken(r.getId(), r.getName(), r.getOwner(), r.getRole(), Instant.ofEpochMilli(r.getCreatedAt()),
        Instant.ofEpochMilli(r.getExpiresAt()), r.getRevokedAt() == null ? null : Instant.ofEpochMilli(r.getRevokedAt()),
        r.getLastUsedAt() == null ? null : Instant.ofEpochMilli(r.getLastUsedAt()));
  }

  /** Stops noting uses after writing what it holds. */
  @Override
  public void close() {
    uses.close();
  }
}
