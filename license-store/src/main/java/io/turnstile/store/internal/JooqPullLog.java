package io.turnstile.store.internal;

import static io.turnstile.store.internal.db.Tables.PULLS;

import io.turnstile.store.CredentialKind;
import io.turnstile.store.CustomerId;
import io.turnstile.store.InvalidInputException;
import io.turnstile.store.Keys;
import io.turnstile.store.LicenseId;
import io.turnstile.store.PullLog;
import io.turnstile.store.PullPage;
import io.turnstile.store.PullQuery;
import io.turnstile.store.PullRecord;
import io.turnstile.store.PullWrite;
import io.turnstile.store.PullSummary;
import io.turnstile.store.StoreUnavailableException;
import io.turnstile.store.internal.db.tables.records.PullsRecord;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.impl.DSL;

/**
 * The pull audit log on jOOQ. Its writes take no part in the store's write lock or events: an audit
 * record changes no snapshot, and SQLite's busy timeout serialises the rare overlap with a license
 * write. Records go in as one plain JDBC batch of multi-row INSERTs per call: jOOQ's per-row binding
 * cost several times what SQLite itself did, on a thread that shares the cores with the pulls being
 * recorded. Ids are
 * a random per-process prefix and a counter, not a fresh random number each, for the same reason. A
 * record is inserted as soon as its pull is answered and completed later with its blob bytes and
 * count: one batched UPDATE by its key.
 * Pages are read by keyset, {@code (at, id)} descending, so a deep page costs what the first does.
 */
public final class JooqPullLog implements PullLog {
  /** About the rows deleted per statement when pruning, so SQLite's one writer is never held long. */
  private static final int PRUNE_BATCH = 10_000;

  /** Rows per INSERT statement: on SQLite a quarter less work per row than one row each. */
  private static final int ROWS_PER_INSERT = 50;
  private static final int COLUMNS = 17;
  private static final String INSERT_FULL = insert(ROWS_PER_INSERT);

  private final Database database;
  private final DSLContext dsl;
  /** 48 random bits, in hex: ids from replicas sharing a database do not meet. */
  private final String idPrefix = Keys.newId("").substring(0, 12);
  private final AtomicLong nextId = new AtomicLong();

  public JooqPullLog(Database database) {
    this.database = database;
    this.dsl = database.dsl();
  }

  @Override
  public void write(List<PullWrite> writes) {
    if (writes.isEmpty()) {
      return;
    }
    // A completion of a record in the same list is folded into its insert: one row written once.
    Map<String, PullWrite.Complete> completions = new HashMap<>();
    Set<String> inserted = new HashSet<>();
    for (PullWrite w : writes) {
      if (w instanceof PullWrite.Insert i) {
        inserted.add(i.id());
      } else if (w instanceof PullWrite.Complete c) {
        completions.put(c.id(), c);
      }
    }
    List<PullWrite.Insert> inserts = new ArrayList<>(inserted.size());
    List<PullWrite.Complete> updates = new ArrayList<>();
    for (PullWrite w : writes) {
      if (w instanceof PullWrite.Insert i) {
        PullWrite.Complete c = completions.get(i.id());
        inserts.add(c == null ? i
            : new PullWrite.Insert(i.id(), i.record().withBlobBytes(c.blobBytes()).withCount(c.count())));
      } else if (w instanceof PullWrite.Complete c && !inserted.contains(c.id())) {
        updates.add(c);
      }
    }
    try {
      dsl.transaction(cfg -> cfg.dsl().connection(c -> {
        insert(c, inserts);
        complete(c, updates);
      }));
    } catch (RuntimeException e) {
      throw busyIsUnavailable(database.translate(e));
    }
  }

  @Override
  public String newId() {
    String n = Long.toHexString(nextId.getAndIncrement());
    return idPrefix + "0".repeat(Math.max(0, 10 - n.length())) + n;
  }

  private void insert(Connection c, List<PullWrite.Insert> records) throws SQLException {
    int full = records.size() / ROWS_PER_INSERT;
    if (full > 0) {
      try (PreparedStatement insert = c.prepareStatement(INSERT_FULL)) {
        for (int i = 0; i < full; i++) {
          bind(insert, records.subList(i * ROWS_PER_INSERT, (i + 1) * ROWS_PER_INSERT));
          insert.addBatch();
        }
        insert.executeBatch();
        database.countStatement();
      }
    }
    List<PullWrite.Insert> rest = records.subList(full * ROWS_PER_INSERT, records.size());
    if (!rest.isEmpty()) {
      try (PreparedStatement insert = c.prepareStatement(insert(rest.size()))) {
        bind(insert, rest);
        insert.executeUpdate();
        database.countStatement();
      }
    }
  }

  private void complete(Connection c, List<PullWrite.Complete> completions) throws SQLException {
    if (completions.isEmpty()) {
      return;
    }
    try (PreparedStatement update = c.prepareStatement(
        "UPDATE pulls SET blob_bytes = ?, pull_count = ? WHERE at = ? AND id = ?")) {
      for (PullWrite.Complete done : completions) {
        update.setLong(1, done.blobBytes());
        update.setInt(2, done.count());
        update.setLong(3, done.at().toEpochMilli());
        update.setString(4, done.id());
        update.addBatch();
      }
      update.executeBatch();
      database.countStatement();
    }
  }

  private static String insert(int rows) {
    StringBuilder sql = new StringBuilder("INSERT INTO pulls (id, at, license_id, customer_id, credential, application,"
        + " repository, tag, version, digest, client_address, user_agent, blob_bytes, pull_count, token_id, kind, completed) VALUES ");
    for (int r = 0; r < rows; r++) {
      sql.append(r == 0 ? "" : ", ").append("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    }
    return sql.toString();
  }

  /** Binds {@code rows} to a statement of as many rows. */
  private void bind(PreparedStatement insert, List<PullWrite.Insert> rows) throws SQLException {
    int k = 0;
    for (PullWrite.Insert row : rows) {
      PullRecord r = row.record();
      insert.setString(k + 1, row.id());
      insert.setLong(k + 2, r.at().toEpochMilli());
      insert.setString(k + 3, r.licenseId() == null ? null : cut(r.licenseId().value(), 64));
      insert.setString(k + 4, cut(r.customerId().value(), 64));
      insert.setString(k + 5, r.credential().wireName());
      insert.setString(k + 6, cut(r.application(), 64));
      insert.setString(k + 7, cut(r.repository(), 256));
      insert.setString(k + 8, cut(r.tag(), 128));
      insert.setString(k + 9, cut(r.version(), 128));
      insert.setString(k + 10, cut(r.digest(), 140));
      insert.setString(k + 11, cut(r.clientAddress(), 64));
      insert.setString(k + 12, cut(r.userAgent(), PullRecord.MAX_USER_AGENT));
      if (r.blobBytes() == null) {
        insert.setNull(k + 13, Types.BIGINT);
      } else {
        insert.setLong(k + 13, r.blobBytes());
      }
      insert.setInt(k + 14, r.count());
      insert.setString(k + 15, cut(r.tokenId(), 64));
      insert.setString(k + 16, r.kind());
      if (r.completed() == null) {
        insert.setNull(k + 17, Types.BOOLEAN);
      } else {
        insert.setBoolean(k + 17, r.completed());
      }
      k += COLUMNS;
    }
  }

  /**
   * A SQLite database still locked by another writer after the busy timeout (a long import) is
   * unavailable for now, as an unreachable one is: the caller retries rather than drops the records.
   */
  private static RuntimeException busyIsUnavailable(RuntimeException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql && sql.getClass().getName().startsWith("org.sqlite.")) {
        int primary = sql.getErrorCode() & 0xff;
        if (primary == 5 || primary == 6) {
          return new StoreUnavailableException("the store's database is busy; nothing was written", e);
        }
      }
    }
    return e;
  }

  @Override
  public PullPage find(PullQuery q) {
    List<Condition> where = new ArrayList<>();
    if (q.licenseId() != null) where.add(PULLS.LICENSE_ID.eq(q.licenseId().value()));
    if (q.customerId() != null) where.add(PULLS.CUSTOMER_ID.eq(q.customerId().value()));
    if (q.application() != null) where.add(PULLS.APPLICATION.eq(q.application()));
    if (q.since() != null) where.add(PULLS.AT.ge(q.since().toEpochMilli()));
    if (q.until() != null) where.add(PULLS.AT.lt(q.until().toEpochMilli()));
    if (q.cursor() != null) {
      Cursor c = Cursor.decode(q.cursor());
      where.add(PULLS.AT.lt(c.at).or(PULLS.AT.eq(c.at).and(PULLS.ID.lt(c.id))));
    }
    try {
      List<PullsRecord> rows = dsl.selectFrom(PULLS).where(where)
          .orderBy(PULLS.AT.desc(), PULLS.ID.desc())
          .limit(q.limit() + 1)
          .fetch();
      boolean more = rows.size() > q.limit();
      List<PullRecord> out = new ArrayList<>(Math.min(rows.size(), q.limit()));
      for (int i = 0; i < rows.size() && i < q.limit(); i++) {
        out.add(record(rows.get(i)));
      }
      PullsRecord last = more ? rows.get(q.limit() - 1) : null;
      return new PullPage(out, last == null ? null : new Cursor(last.getAt(), last.getId()).encode());
    } catch (RuntimeException e) {
      throw database.translate(e);
    }
  }

  @Override
  public PullSummary summary(LicenseId id, Instant since) {
    return summary(PULLS.LICENSE_ID.eq(id.value()), since);
  }

  @Override
  public PullSummary summary(CustomerId id, Instant since) {
    return summary(PULLS.CUSTOMER_ID.eq(id.value()), since);
  }

  private PullSummary summary(Condition who, Instant since) {
    try {
      Long last = dsl.select(DSL.max(PULLS.AT)).from(PULLS).where(who).fetchOne().value1();
      Field<Long> lastOfVersion = DSL.max(PULLS.AT);
      List<PullSummary.PulledVersion> versions = last == null ? List.of()
          : dsl.select(PULLS.APPLICATION, PULLS.VERSION, lastOfVersion).from(PULLS)
              .where(who, PULLS.AT.ge(since.toEpochMilli()), PULLS.VERSION.isNotNull())
              .groupBy(PULLS.APPLICATION, PULLS.VERSION)
              .orderBy(PULLS.APPLICATION, PULLS.VERSION)
              .fetch(r -> new PullSummary.PulledVersion(r.value1(), r.value2(), Instant.ofEpochMilli(r.value3())));
      return new PullSummary(last == null ? null : Instant.ofEpochMilli(last), versions);
    } catch (RuntimeException e) {
      throw database.translate(e);
    }
  }

  @Override
  public long prune(Instant before) {
    long cutoff = before.toEpochMilli();
    long deleted = 0;
    try {
      while (true) {
        // The oldest records up to the time of the PRUNE_BATCH-th oldest (more only when it shares
        // its millisecond), on the key's leading column.
        Long upTo = dsl.select(PULLS.AT).from(PULLS).where(PULLS.AT.lt(cutoff)).orderBy(PULLS.AT)
            .limit(1).offset(PRUNE_BATCH).fetchOne(PULLS.AT);
        if (upTo == null) {
          return deleted + dsl.deleteFrom(PULLS).where(PULLS.AT.lt(cutoff)).execute();
        }
        deleted += dsl.deleteFrom(PULLS).where(PULLS.AT.le(upTo)).execute();
      }
    } catch (RuntimeException e) {
      throw database.translate(e);
    }
  }

  /** The prefix and ten hex digits of the counter: unique, and in insertion order within a process. */
  private static PullRecord record(PullsRecord r) {
    return new PullRecord(Instant.ofEpochMilli(r.getAt()),
        r.getLicenseId() == null ? null : new LicenseId(r.getLicenseId()), new CustomerId(r.getCustomerId()),
        CredentialKind.fromWireName(r.getCredential()), r.getApplication(), r.getRepository(), r.getTag(),
        r.getVersion(), r.getDigest(), r.getClientAddress(), r.getUserAgent(), r.getBlobBytes(), r.getPullCount(),
        r.getTokenId(), r.getKind(), r.getCompleted());
  }

  private static String cut(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(0, max);
  }

  /** Where a page ended: the last record's time and id, as opaque base64url text. */
  private record Cursor(long at, String id) {
    String encode() {
      return Base64.getUrlEncoder().withoutPadding()
          .encodeToString((at + ":" + id).getBytes(StandardCharsets.UTF_8));
    }

    static Cursor decode(String text) {
      try {
        String plain = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
        int colon = plain.indexOf(':');
        String id = plain.substring(colon + 1);
        if (colon < 1 || id.isEmpty() || id.length() > 32) {
          throw new IllegalArgumentException(plain);
        }
        return new Cursor(Long.parseLong(plain.substring(0, colon)), id);
      } catch (IllegalArgumentException e) {
        throw new InvalidInputException("cursor", "is not a cursor that this API gave");
      }
    }
  }
}
