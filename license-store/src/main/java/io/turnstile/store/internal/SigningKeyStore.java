package io.turnstile.store.internal;

import static io.turnstile.store.internal.db.Tables.SIGNING_KEYS;

import io.turnstile.store.ConflictException;
import io.turnstile.store.InvalidInputException;
import io.turnstile.store.NewSigningKey;
import io.turnstile.store.StoredSigningKey.State;
import io.turnstile.store.StoredSigningKey;
import io.turnstile.store.internal.db.tables.records.SigningKeysRecord;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.jooq.DSLContext;

/**
 * Token signing keys kept in the store, so that every replica signs and verifies with the same
 * keys. Writes go through the {@link StoreWriter} like every other (serialised across replicas,
 * recorded as events, announced); the keys in memory are reloaded when a replica sees a signing
 * key event. A rotation adds a key that verifies only, makes it the signer, then retires the old
 * one: no token is refused along the way.
 */
final class SigningKeyStore {
  /** Event actions about signing keys; they name no customer. */
  static final String EVENT_PREFIX = "signing_key.";

  private final StoreWriter writer;
  private final CredentialCipher cipher;
  private final Clock clock;

  SigningKeyStore(StoreWriter writer, CredentialCipher cipher, Clock clock) {
    this.writer = writer;
    this.cipher = cipher;
    this.clock = clock;
  }

  /** Every key, newest first, decrypted. */
  List<StoredSigningKey> load(DSLContext dsl) {
    return dsl.selectFrom(SIGNING_KEYS).orderBy(SIGNING_KEYS.CREATED_AT.desc(), SIGNING_KEYS.KID)
        .fetch(r -> new StoredSigningKey(r.getKid(), cipher.decrypt(r.getPemEnc(), r.getKid()),
            State.valueOf(r.getState().toUpperCase(Locale.ROOT)), Instant.ofEpochMilli(r.getCreatedAt())));
  }

  /**
   * Makes sure a signer exists: when the store has none, {@code generate} makes one (kid and PEM)
   * and it becomes the signer. Across replicas starting at once, exactly one generates.
   */
  List<StoredSigningKey> ensureSigner(Supplier<NewSigningKey> generate, String actor) {
    if (hasSigner(writer.signingKeys())) {
      return writer.signingKeys();
    }
    NewSigningKey key = generate.get();
    writer.write(tx -> {
      boolean any = tx.fetchExists(SIGNING_KEYS, SIGNING_KEYS.STATE.eq(State.ACTIVE.wireName()));
      if (!any) {
        insert(tx, key, State.ACTIVE, actor, "generated at start");
      }
      return null;
    });
    return writer.signingKeys();
  }

  /** Adds {@code key}; it verifies only, unless the store has no signer yet. */
  StoredSigningKey add(NewSigningKey key, String actor) {
    writer.write(tx -> {
      if (tx.fetchExists(SIGNING_KEYS, SIGNING_KEYS.KID.eq(key.kid()))) {
        throw new ConflictException("signing key " + key.kid() + " is already in the store");
      }
      boolean signer = tx.fetchExists(SIGNING_KEYS, SIGNING_KEYS.STATE.eq(State.ACTIVE.wireName()));
      insert(tx, key, signer ? State.VERIFY : State.ACTIVE, actor, null);
      return null;
    });
    return find(key.kid());
  }

  /** Makes {@code kid} the signer; the signer before it verifies only. */
  StoredSigningKey activate(String kid, String actor) {
    writer.write(tx -> {
      SigningKeysRecord r = existing(tx, kid);
      if (State.RETIRED.wireName().equals(r.getState())) {
        throw new ConflictException("signing key " + kid + " is retired and cannot sign again");
      }
      long now = clock.millis();
      tx.update(SIGNING_KEYS).set(SIGNING_KEYS.STATE, State.VERIFY.wireName()).set(SIGNING_KEYS.UPDATED_AT, now)
          .where(SIGNING_KEYS.STATE.eq(State.ACTIVE.wireName()), SIGNING_KEYS.KID.ne(kid)).execute();
      tx.update(SIGNING_KEYS).set(SIGNING_KEYS.STATE, State.ACTIVE.wireName()).set(SIGNING_KEYS.UPDATED_AT, now)
          .where(SIGNING_KEYS.KID.eq(kid)).execute();
      EventLog.record(tx, now, actor, EVENT_PREFIX + "activated", null, null, "kid=" + kid);
      return null;
    });
    return find(kid);
  }

  /** Retires {@code kid}: tokens it signed stop verifying. The signer cannot be retired. */
  StoredSigningKey retire(String kid, String actor) {
    writer.write(tx -> {
      SigningKeysRecord r = existing(tx, kid);
      if (State.ACTIVE.wireName().equals(r.getState())) {
        throw new ConflictException("signing key " + kid + " signs new tokens: activate another one first");
      }
      long now = clock.millis();
      tx.update(SIGNING_KEYS).set(SIGNING_KEYS.STATE, State.RETIRED.wireName()).set(SIGNING_KEYS.UPDATED_AT, now)
          .where(SIGNING_KEYS.KID.eq(kid)).execute();
      EventLog.record(tx, now, actor, EVENT_PREFIX + "retired", null, null, "kid=" + kid);
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
        .set(SIGNING_KEYS.PEM_ENC, cipher.encrypt(key.pem(), key.kid()))
        .set(SIGNING_KEYS.STATE, state.wireName())
        .set(SIGNING_KEYS.CREATED_AT, now)
        .set(SIGNING_KEYS.UPDATED_AT, now)
        .execute();
    EventLog.record(tx, now, actor, EVENT_PREFIX + "added", null, null,
        "kid=" + key.kid() + " state=" + state.wireName() + (why == null ? "" : " (" + why + ")"));
  }

  private static SigningKeysRecord existing(DSLContext tx, String kid) {
    SigningKeysRecord r = tx.selectFrom(SIGNING_KEYS).where(SIGNING_KEYS.KID.eq(kid)).fetchOne();
    if (r == null) {
      throw new InvalidInputException("kid", "no signing key " + kid);
    }
    return r;
  }

  private StoredSigningKey find(String kid) {
    return writer.signingKeys().stream().filter(k -> k.kid().equals(kid)).findFirst()
        .orElseThrow(() -> new IllegalStateException("signing key " + kid + " missing after its write"));
  }

  private static boolean hasSigner(List<StoredSigningKey> keys) {
    return keys.stream().anyMatch(k -> k.state() == State.ACTIVE);
  }
}
