package io.turnstile.store.internal;

import static io.turnstile.store.internal.db.Tables.WEB_SESSIONS;
import static io.turnstile.store.internal.db.Tables.WEB_SESSION_FLASH;

import io.turnstile.store.LicenseStore;
import io.turnstile.store.WebSessions;
import io.turnstile.store.internal.db.tables.records.WebSessionsRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jooq.DSLContext;
import org.jooq.Record1;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web sessions on jOOQ. Starting and ending go through the {@link StoreWriter}; an ending is a
 * {@value WebSessions#EVENT_PREFIX} event, which every replica follows by reading the sessions that
 * ended lately and telling its listeners. Uses are noted by {@link LastUses}.
 */
final class WebSessionTable implements WebSessions, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WebSessionTable.class);
  /** Rows unused this long are deleted: far beyond any idle expiry. */
  static final Duration KEEP = Duration.ofDays(1);
  /**
   * How far back a replica looks for ended sessions when it hears of an ending: wide enough for
   * replicas' clocks to differ and for the feed to lag, small enough to stay a short read.
   */
  private static final Duration ENDED_WINDOW = Duration.ofMinutes(2);

  private final StoreWriter writer;
  private final CredentialCipher cipher;
  private final Clock clock;
  private final LastUses uses;
  private final List<Consumer<Set<String>>> listeners = new CopyOnWriteArrayList<>();

  WebSessionTable(StoreWriter writer, CredentialCipher cipher, Clock clock) {
    this.writer = writer;
    this.cipher = cipher;
    this.clock = clock;
    this.uses = new LastUses(writer, WEB_SESSIONS, WEB_SESSIONS.ID_HASH, WEB_SESSIONS.LAST_SEEN_AT, "web sessions");
    writer.follow(EVENT_PREFIX, this::loadEnded);
  }

  private void loadEnded(DSLContext dsl) {
    if (listeners.isEmpty()) {
      return;
    }
    Set<String> ended = dsl.select(WEB_SESSIONS.ID_HASH).from(WEB_SESSIONS)
        .where(WEB_SESSIONS.ENDED_AT.ge(clock.millis() - ENDED_WINDOW.toMillis()))
        .fetchSet(Record1::value1);
    if (ended.isEmpty()) {
      return;
    }
    for (Consumer<Set<String>> l : listeners) {
      try {
        l.accept(ended);
      } catch (RuntimeException e) {
        log.warn("a listener of ended sessions failed", e);
      }
    }
  }

  @Override
  public void start(String area, String id, String csrf, String principal, String owner, int perOwner) {
    String hash = WebSessions.hash(id);
    long now = clock.millis();
    writer.write(tx -> {
      tx.deleteFrom(WEB_SESSION_FLASH).where(WEB_SESSION_FLASH.CREATED_AT.lt(now - KEEP.toMillis())).execute();
      tx.deleteFrom(WEB_SESSIONS).where(WEB_SESSIONS.LAST_SEEN_AT.lt(now - KEEP.toMillis())).execute();
      List<String> own = tx.select(WEB_SESSIONS.ID_HASH).from(WEB_SESSIONS)
          .where(WEB_SESSIONS.AREA.eq(area), WEB_SESSIONS.OWNER.eq(owner), WEB_SESSIONS.ENDED_AT.isNull())
          .orderBy(WEB_SESSIONS.LAST_SEEN_AT.desc())
          .fetch(Record1::value1);
      if (own.size() >= perOwner) {
        List<String> out = own.subList(perOwner - 1, own.size());
        endHashes(tx, out, now, "turnstile", area + " session ended: " + owner + " has " + perOwner
            + " newer ones");
      }
      tx.insertInto(WEB_SESSIONS)
          .set(WEB_SESSIONS.ID_HASH, hash)
          .set(WEB_SESSIONS.AREA, area)
          .set(WEB_SESSIONS.PRINCIPAL, principal)
          .set(WEB_SESSIONS.OWNER, owner)
          .set(WEB_SESSIONS.CSRF, cipher.encrypt(csrf, "session-csrf:" + hash))
          .set(WEB_SESSIONS.CREATED_AT, now)
          .set(WEB_SESSIONS.LAST_SEEN_AT, now)
          .execute();
      return null;
    });
  }

  @Override
  public Stored find(String area, String id) {
    String hash = WebSessions.hash(id);
    WebSessionsRecord r;
    try {
      r = writer.database().dsl().selectFrom(WEB_SESSIONS)
          .where(WEB_SESSIONS.ID_HASH.eq(hash), WEB_SESSIONS.AREA.eq(area), WEB_SESSIONS.ENDED_AT.isNull())
          .fetchOne();
    } catch (RuntimeException e) {
      throw writer.database().translate(e);
    }
    if (r == null) {
      return null;
    }
    Long pending = uses.pending(hash);
    long lastSeen = pending == null ? r.getLastSeenAt() : Math.max(pending, r.getLastSeenAt());
    return new Stored(r.getPrincipal(), cipher.decrypt(r.getCsrf(), "session-csrf:" + hash),
        Instant.ofEpochMilli(r.getCreatedAt()), Instant.ofEpochMilli(lastSeen));
  }

  @Override
  public void seen(String id, Instant at) {
    uses.note(WebSessions.hash(id), at.toEpochMilli());
  }

  @Override
  public void end(Collection<String> ids, String actor, String why) {
    if (ids.isEmpty()) {
      return;
    }
    List<String> hashes = ids.stream().map(WebSessions::hash).toList();
    long now = clock.millis();
    writer.write(tx -> {
      endHashes(tx, hashes, now, actor, why);
      return null;
    });
  }

  /** Ends the live ones of {@code hashes}, with one event when any was live. */
  private static void endHashes(DSLContext tx, List<String> hashes, long now, String actor, String why) {
    int ended = tx.update(WEB_SESSIONS).set(WEB_SESSIONS.ENDED_AT, now)
        .where(WEB_SESSIONS.ID_HASH.in(hashes), WEB_SESSIONS.ENDED_AT.isNull())
        .execute();
    tx.deleteFrom(WEB_SESSION_FLASH).where(WEB_SESSION_FLASH.ID_HASH.in(hashes)).execute();
    if (ended > 0) {
      EventLog.record(tx, now, actor, EVENT_PREFIX + "ended", null, null,
          why + (ended > 1 ? " (" + ended + " sessions)" : ""));
    }
  }

  @Override
  public void flash(String id, String name, String value) {
    String hash = WebSessions.hash(id);
    String sealed = cipher.encrypt(value, "session-flash:" + hash + ":" + name);
    long now = clock.millis();
    writer.writeWithoutEvents(tx -> {
      tx.deleteFrom(WEB_SESSION_FLASH)
          .where(WEB_SESSION_FLASH.ID_HASH.eq(hash), WEB_SESSION_FLASH.NAME.eq(name)).execute();
      tx.insertInto(WEB_SESSION_FLASH)
          .set(WEB_SESSION_FLASH.ID_HASH, hash)
          .set(WEB_SESSION_FLASH.NAME, name)
          .set(WEB_SESSION_FLASH.SEALED, sealed)
          .set(WEB_SESSION_FLASH.CREATED_AT, now)
          .execute();
      return null;
    });
  }

  @Override
  public String take(String id, String name) {
    String hash = WebSessions.hash(id);
    try {
      // Mostly there is nothing: one lookup by key. Otherwise only the page whose delete counts gets
      // the value, also when two replicas ask at once.
      String sealed = writer.database().dsl().select(WEB_SESSION_FLASH.SEALED).from(WEB_SESSION_FLASH)
          .where(WEB_SESSION_FLASH.ID_HASH.eq(hash), WEB_SESSION_FLASH.NAME.eq(name))
          .fetchOptional(Record1::value1).orElse(null);
      if (sealed == null || writer.database().dsl().deleteFrom(WEB_SESSION_FLASH)
          .where(WEB_SESSION_FLASH.ID_HASH.eq(hash), WEB_SESSION_FLASH.NAME.eq(name),
              WEB_SESSION_FLASH.SEALED.eq(sealed))
          .execute() != 1) {
        return null;
      }
      return cipher.decrypt(sealed, "session-flash:" + hash + ":" + name);
    } catch (RuntimeException e) {
      throw writer.database().translate(e);
    }
  }

  @Override
  public LicenseStore.Subscription onEnded(Consumer<Set<String>> ended) {
    listeners.add(ended);
    return () -> listeners.remove(ended);
  }

  /** Stops noting uses after writing what it holds. */
  @Override
  public void close() {
    uses.close();
  }
}
