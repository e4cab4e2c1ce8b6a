package io.turnstile.store.internal;

import static io.turnstile.store.internal.db.Tables.SIGNING_KEYS;

import io.turnstile.store.ConflictException;
import io.turnstile.store.InvalidInputException;
import io.turnstile.store.KeyPurpose;
import io.turnstile.store.NewSigningKey;
import io.turnstile.store.StoredKeys;
import io.turnstile.store.StoredSigningKey;
import io.turnstile.store.StoredSigningKey.State;
import io.turnstile.store.internal.db.tables.records.SigningKeysRecord;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.jooq.Condition;
import org.jooq.DSLContext;

/**
 * The signing keys of one {@link KeyPurpose} kept in the store, so that every replica signs and
 * verifies with the same keys. Writes go through the {@link StoreWriter} like every other
 * (serialised across replicas, recorded as events, announced); the keys in memory are reloaded
 * when a replica sees an event of this purpose. A rotation adds a key that verifies only, makes it
 * the signer, then retires the old one: nothing signed is refused along the way.
 *
 * <p>Both purposes share one table and this code; every statement is limited to its own purpose,
 * so a kid of the other kind is unknown here. Token keys' PEMs are bound to their kid alone (as
 * they were written before purposes existed); license keys' to their purpose and kid, so a row
 * moved to the other purpose would not decrypt.
 */
final class SigningKeyStore implements StoredKeys {
  /** Event actions about token signing keys; they name no customer. */
  static final String EVENT_PREFIX = "signing_key.";
  /** Event actions about license-signing keys; they name no customer. */
  static final String LICENSE_EVENT_PREFIX = "license_key.";

  private final KeyPurpose purpose;
  private final StoreWriter writer;
  private final CredentialCipher cipher;
  private final Clock clock;
  private final String eventPrefix;
  private volatile List<StoredSigningKey> keys = List.of();

  /** Keys of {@code purpose}, loaded now and again after each of their events, on any replica. */
  SigningKeyStore(KeyPurpose purpose, StoreWriter writer, CredentialCipher cipher, Clock clock) {
    this.purpose = purpose;
    this.writer = writer;
    this.cipher = cipher;
    this.clock = clock;
    this.eventPrefix = eventPrefix(purpose);
    writer.follow(eventPrefix, tx -> keys = List.copyOf(load(tx)));
  }

  /** The prefix of the event actions about keys of {@code purpose}. */
  static String eventPrefix(KeyPurpose purpose) {
    return purpose == KeyPurpose.TOKEN ? EVENT_PREFIX : LICENSE_EVENT_PREFIX;
  }

  @Override
  public KeyPurpose purpose() {
    return purpose;
  }

  @Override
  public List<StoredSigningKey> list() {
    return keys;
  }

  /** Every key of this purpose, newest first, decrypted. */
  private List<StoredSigningKey> load(DSLContext dsl) {
    return dsl.selectFrom(SIGNING_KEYS).where(mine())
        .orderBy(SIGNING_KEYS.CREATED_AT.desc(), SIGNING_KEYS.KID)
        .fetch(r -> new StoredSigningKey(r.getKid(), cipher.decrypt(r.getPemEnc(), boundTo(r.getKid())),
            State.valueOf(r.getState().toUpperCase(Locale.ROOT)), Instant.ofEpochMilli(r.getCreatedAt()),
            Instant.ofEpochMilli(r.getUpdatedAt())));
  }

  @Override
  public List<StoredSigningKey> ensureSigner(Supplier<NewSigningKey> generate, String actor) {
    if (keys.stream().anyMatch(k -> k.state() == State.ACTIVE)) {
      return keys;
    }
    NewSigningKey key = generate.get();
    writer.write(tx -> {
      if (!tx.fetchExists(SIGNING_KEYS, mine().and(SIGNING_KEYS.STATE.eq(State.ACTIVE.wireName())))) {
        insert(tx, key, State.ACTIVE, actor, "generated at start");
      }
      return null;
    });
    return keys;
  }

  @Override
  public StoredSigningKey add(NewSigningKey key, String actor) {
    writer.write(tx -> {
      // Across purposes too: the kid is the table's key.
      if (tx.fetchExists(SIGNING_KEYS, SIGNING_KEYS.KID.eq(key.kid()))) {
        throw new ConflictException(purpose.noun() + " " + key.kid() + " is already in the store");
      }
      boolean signer = tx.fetchExists(SIGNING_KEYS, mine().and(SIGNING_KEYS.STATE.eq(State.ACTIVE.wireName())));
      insert(tx, key, signer ? State.VERIFY : State.ACTIVE, actor, null);
      return null;
    });
    return find(key.kid());
  }

  @Override
  public StoredSigningKey activate(String kid, String actor) {
    writer.write(tx -> {
      SigningKeysRecord r = existing(tx, kid);
      if (State.RETIRED.wireName().equals(r.getState())) {
        throw new ConflictException(purpose.noun() + " " + kid + " is retired and cannot sign again");
      }
      long now = clock.millis();
      tx.update(SIGNING_KEYS).set(SIGNING_KEYS.STATE, State.VERIFY.wireName()).set(SIGNING_KEYS.UPDATED_AT, now)
          .where(mine(), SIGNING_KEYS.STATE.eq(State.ACTIVE.wireName()), SIGNING_KEYS.KID.ne(kid)).execute();
      tx.update(SIGNING_KEYS).set(SIGNING_KEYS.STATE, State.ACTIVE.wireName()).set(SIGNING_KEYS.UPDATED_AT, now)
          .where(mine(), SIGNING_KEYS.KID.eq(kid)).execute();
      EventLog.record(tx, now, actor, eventPrefix + "activated", null, null, "kid=" + kid);
      return null;
    });
    return find(kid);
  }

  @Override
  public StoredSigningKey retire(String kid, String actor) {
    writer.write(tx -> {
      SigningKeysRecord r = existing(tx, kid);
      if (State.ACTIVE.wireName().equals(r.getState())) {
        throw new ConflictException(purpose.noun() + " " + kid + " signs new " + purpose.signs()
            + ": activate another one first");
      }
      long now = clock.millis();
      tx.update(SIGNING_KEYS).set(SIGNING_KEYS.STATE, State.RETIRED.wireName()).set(SIGNING_KEYS.UPDATED_AT, now)
          .where(mine(), SIGNING_KEYS.KID.eq(kid)).execute();
      EventLog.record(tx, now, actor, eventPrefix + "retired", null, null, "kid=" + kid);
      return null;
    });
    return find(kid);
  }

  private void insert(DSLContext tx, NewSigningKey key, State state, String actor, String why) {
    if (key.kid() == null || key.kid().isBlank() || key.kid().length() > 128) {
      throw new InvalidInputException("kid", "must be 1 to 128 characters");
    }
    long now = clock.millis();
    tx.insertInto(SIGNING_KEYS)
        .set(SIGNING_KEYS.KID, key.kid())
        .set(SIGNING_KEYS.PURPOSE, purpose.wireName())
        .set(SIGNING_KEYS.PEM_ENC, cipher.encrypt(key.pem(), boundTo(key.kid())))
        .set(SIGNING_KEYS.STATE, state.wireName())
        .set(SIGNING_KEYS.CREATED_AT, now)
        .set(SIGNING_KEYS.UPDATED_AT, now)
        .execute();
    EventLog.record(tx, now, actor, eventPrefix + "added", null, null,
        "kid=" + key.kid() + " state=" + state.wireName() + (why == null ? "" : " (" + why + ")"));
  }

  private Condition mine() {
    return SIGNING_KEYS.PURPOSE.eq(purpose.wireName());
  }

  private String boundTo(String kid) {
    return purpose == KeyPurpose.TOKEN ? kid : purpose.wireName() + ":" + kid;
  }

  private SigningKeysRecord existing(DSLContext tx, String kid) {
    SigningKeysRecord r = tx.selectFrom(SIGNING_KEYS).where(mine(), SIGNING_KEYS.KID.eq(kid)).fetchOne();
    if (r == null) {
      throw new InvalidInputException("kid", "no " + purpose.noun() + " " + kid);
    }
    return r;
  }

  private StoredSigningKey find(String kid) {
    return keys.stream().filter(k -> k.kid().equals(kid)).findFirst()
        .orElseThrow(() -> new IllegalStateException(purpose.noun() + " " + kid + " missing after its write"));
  }
}
