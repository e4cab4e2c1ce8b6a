package io.turnstile.store.internal;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.turnstile.config.StoreConfig;
import io.turnstile.store.StoreException;
import io.turnstile.store.StoreOutcomeUnknownException;
import io.turnstile.store.StoreUnavailableException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.time.Instant;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.flywaydb.core.Flyway;
import org.jooq.ConnectionProvider;
import org.jooq.DSLContext;
import org.jooq.ExecuteContext;
import org.jooq.ExecuteListener;
import org.jooq.SQLDialect;
import org.jooq.TransactionContext;
import org.jooq.TransactionListener;
import org.jooq.conf.Settings;
import org.jooq.impl.DSL;
import org.jooq.impl.DefaultConfiguration;

/**
 * Opens the store's database: a small Hikari pool, Flyway migrations, a jOOQ context. A connection
 * that cannot be had, or one lost mid-statement, is a {@link StoreUnavailableException}: the
 * caller learns at once that nothing was written; one lost while its commit was on the way is a
 * {@link StoreOutcomeUnknownException}, since the commit may have happened. A SQLite file is held by one process, with an
 * exclusive lock on {@code <file>.lock}; PostgreSQL is for several.
 */
public final class Database implements AutoCloseable {
  /** The {@code application_name} of each replica's change feed connection. */
  static final String FEED_APPLICATION_NAME = "turnstile-store-feed";
  /** The newest migration in {@code db/migration} ({@code V<n>__*.sql}); a test checks it. */
  static final int LATEST_MIGRATION = 16;
  /** Every migration this build carries, by version; a test checks it against the files. */
  static final java.util.BitSet MIGRATIONS = java.util.BitSet.valueOf(new long[] {0b1_1111_1111_1111_1110L});

  private final StoreConfig config;
  private final HikariDataSource dataSource;
  private final DSLContext dsl;
  private final FileChannel processLock;

  private final AtomicLong queries = new AtomicLong();
  private final Reachability reachability = new Reachability();

  private Database(StoreConfig config, HikariDataSource dataSource, SQLDialect dialect, FileChannel processLock) {
    this.config = config;
    this.dataSource = dataSource;
    this.processLock = processLock;
    DefaultConfiguration configuration = new DefaultConfiguration();
    configuration.set(new ConnectionProvider() {
      @Override
      public Connection acquire() {
        try {
          return dataSource.getConnection();
        } catch (SQLException e) {
          throw unavailable(e);
        }
      }

      @Override
      public void release(Connection connection) {
        try {
          connection.close();
        } catch (SQLException e) {
          throw unavailable(e);
        }
      }
    });
    configuration.set(dialect);
    configuration.set(new Settings().withExecuteLogging(false).withRenderSchema(false));
    configuration.set(new ExecuteListener() {
      @Override
      public void executeStart(ExecuteContext ctx) {
        queries.incrementAndGet();
      }

      @Override
      public void executeEnd(ExecuteContext ctx) {
        if (ctx.sqlException() == null) {
          reachability.answered();
        }
      }

      @Override
      public void exception(ExecuteContext ctx) {
        if (lostConnection(ctx.sqlException())) {
          lost.set(ctx.sqlException());
        }
      }
    });
    this.dsl = DSL.using(configuration);
  }

  /** The last statement failure that was a lost connection, for {@link #translate}. */
  private final ThreadLocal<SQLException> lost = new ThreadLocal<>();

  /**
   * {@code e} as the store's caller should see it: a lost connection becomes a {@link
   * StoreUnavailableException}, anything else stays as it is.
   */
  RuntimeException translate(RuntimeException e) {
    SQLException cause = lost.get();
    lost.remove();
    if (e instanceof StoreUnavailableException || e instanceof StoreOutcomeUnknownException) {
      return e;
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t == cause || (t instanceof SQLException sql && lostConnection(sql))) {
        reachability.failed(Instant.now());
        return unavailable(t);
      }
    }
    return e;
  }

  /**
   * Runs {@code work} in one transaction, telling apart the ways a lost connection ends it: before
   * the {@code COMMIT} was sent nothing was written ({@link StoreUnavailableException}); once it was
   * sent, the database may have committed and only its answer was lost ({@link
   * StoreOutcomeUnknownException}).
   */
  <T> T transactionResult(Function<DSLContext, T> work) {
    AtomicBoolean committing = new AtomicBoolean();
    DSLContext tracked = dsl.configuration().derive(new TransactionListener() {
      @Override
      public void commitStart(TransactionContext ctx) {
        committing.set(true);
      }
    }).dsl();
    try {
      return tracked.transactionResult(cfg -> work.apply(cfg.dsl()));
    } catch (RuntimeException e) {
      RuntimeException translated = translate(e);
      if (committing.get() && translated instanceof StoreUnavailableException) {
        throw new StoreOutcomeUnknownException("the license store's database went away while this change was being"
            + " committed, so it may or may not have been applied: read it back once the database answers,"
            + " or retry with the same Idempotency-Key", false, translated.getCause());
      }
      throw translated;
    }
  }

  /**
   * The answer to a change that was committed but could not be read back into this replica's
   * snapshot, because the database went away in between.
   */
  StoreOutcomeUnknownException committedUnread(RuntimeException cause) {
    return new StoreOutcomeUnknownException("the change was committed, but the license store's database went away"
        + " before this replica could read it back: read it back once the database answers", true, cause);
  }

  /** Whether the database answers, as this process last found. */
  Reachability reachability() {
    return reachability;
  }

  private static boolean lostConnection(SQLException e) {
    return e != null && StoreUnavailableException.lostConnection(e);
  }

  private static StoreUnavailableException unavailable(Throwable cause) {
    return new StoreUnavailableException("the license store's database is unreachable; nothing was written", cause);
  }

  /** Whether several processes may share this database (PostgreSQL). */
  boolean shared() {
    return config.postgres();
  }

  /**
   * A connection of its own, outside the pool, for {@code LISTEN}: a pooled connection would be
   * handed to others and lose the subscription.
   */
  Connection dedicatedConnection() throws SQLException {
    Properties props = new Properties();
    if (config.username() != null) props.setProperty("user", config.username());
    if (config.password() != null) props.setProperty("password", config.password());
    // A host that does not answer at all (a failed-over primary's address) must not hold the feed.
    props.setProperty("connectTimeout", "2");
    props.setProperty("socketTimeout", "30");
    // Named, so that operators (and tests) can tell the feed's connection in pg_stat_activity.
    props.setProperty("ApplicationName", FEED_APPLICATION_NAME);
    return DriverManager.getConnection(config.url(), props);
  }

  /** This database's jOOQ context over {@code connection}, with its dialect, settings and listeners. */
  DSLContext over(Connection connection) {
    return dsl.configuration().derive(new org.jooq.impl.DefaultConnectionProvider(connection)).dsl();
  }

  /** How many SQL statements this database has executed; a batch counts once. */
  public long queriesExecuted() {
    return queries.get();
  }

  /** Counts a statement sent over plain JDBC, past jOOQ's listener. */
  void countStatement() {
    queries.incrementAndGet();
  }

  /** Opens the database named by {@code config} and migrates it to the latest schema. */
  public static Database open(StoreConfig config) throws IOException {
    HikariConfig hikari = new HikariConfig();
    hikari.setJdbcUrl(config.url());
    hikari.setPoolName("turnstile-store");
    hikari.setMaximumPoolSize(config.maxPoolSize());
    SQLDialect dialect;
    FileChannel processLock = null;
    if (config.url().startsWith("jdbc:sqlite:")) {
      dialect = SQLDialect.SQLITE;
      String file = createOwnerOnly(config.url().substring("jdbc:sqlite:".length()));
      processLock = file == null ? null : lockForThisProcess(file);
      hikari.addDataSourceProperty("journal_mode", "WAL");
      hikari.addDataSourceProperty("foreign_keys", "true");
      hikari.addDataSourceProperty("busy_timeout", "5000");
      hikari.addDataSourceProperty("synchronous", "NORMAL");
      // One writer at a time, decided when a transaction begins: a transaction that read first and
      // then wrote after another connection's commit would fail at once (SQLITE_BUSY_SNAPSHOT),
      // without the busy timeout's wait. License writes and the pull audit log's batches both write.
      hikari.addDataSourceProperty("transaction_mode", "IMMEDIATE");
    } else {
      dialect = SQLDialect.POSTGRES;
      if (config.username() != null) hikari.setUsername(config.username());
      if (config.password() != null) hikari.setPassword(config.password());
      // While the database is down, an admin write fails within this instead of hanging (and the
      // writes queued behind it at once, by refuseIfUnreachable): well within 2 s.
      hikari.setConnectionTimeout(1000);
      hikari.setValidationTimeout(500);
      hikari.addDataSourceProperty("connectTimeout", "1");
    }
    HikariDataSource ds;
    try {
      ds = new HikariDataSource(hikari);
    } catch (RuntimeException e) {
      closeQuietly(processLock);
      throw e;
    }
    try {
      if (!upToDate(ds)) {
        Flyway.configure()
            .dataSource(ds)
            .locations("classpath:db/migration")
            .loggers("slf4j")
            .load()
            .migrate();
      }
    } catch (RuntimeException e) {
      ds.close();
      closeQuietly(processLock);
      throw e;
    }
    return new Database(config, ds, dialect, processLock);
  }

  /**
   * Whether the schema already has every migration this build carries ({@link #MIGRATIONS}), each
   * applied successfully, and nothing newer: then there is nothing for
   * Flyway to do, and a start skips loading it and scanning for migrations (half a second). A
   * store without Flyway's history, or with anything else in it, goes through Flyway.
   */
  static boolean upToDate(javax.sql.DataSource ds) {
    try (Connection c = ds.getConnection(); var s = c.createStatement();
        var rows = s.executeQuery("SELECT version, success FROM flyway_schema_history")) {
      java.util.BitSet applied = new java.util.BitSet();
      while (rows.next()) {
        if (!rows.getBoolean(2)) {
          return false;
        }
        String version = rows.getString(1);
        if (version != null && version.matches("[0-9]{1,6}")) {
          int v = Integer.parseInt(version);
          if (v > LATEST_MIGRATION) {
            return false;
          }
          applied.set(v);
        }
      }
      applied.clear(0);
      return applied.equals(MIGRATIONS);
    } catch (SQLException e) {
      // No history table (a new store) or one unlike Flyway's: Flyway decides.
      return false;
    }
  }

  /**
   * Holds {@code <file>.lock} for as long as this process runs: two processes writing one SQLite
   * file would each serve a snapshot the other's writes never reach.
   */
  private static FileChannel lockForThisProcess(String file) throws IOException {
    Path lockFile = Path.of(file + ".lock");
    FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException sameProcess) {
      lock = null;
    }
    if (lock == null) {
      channel.close();
      throw new StoreException(file + " is in use by another Turnstile process; a SQLite store serves one process"
          + " (use PostgreSQL, store.url: jdbc:postgresql://..., for several replicas)") { };
    }
    return channel;
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // closing releases the lock either way
      }
    }
  }

  /**
   * Creates the SQLite file's directory and, when the file is missing, the file itself with mode
   * 0600: it holds key hashes and encrypted upstream credentials. SQLite gives the {@code -wal},
   * {@code -shm} and journal files the database file's mode, so they are owner-only too. An
   * existing file keeps its mode.
   */
  private static String createOwnerOnly(String file) throws IOException {
    int query = file.indexOf('?');
    String path = query < 0 ? file : file.substring(0, query);
    if (path.isEmpty() || path.startsWith(":memory:") || path.startsWith("file:")) {
      return null;
    }
    Path db = Path.of(path).toAbsolutePath();
    Path parent = db.getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    if (Files.exists(db)) {
      return db.toString();
    }
    try {
      Files.createFile(db, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (FileAlreadyExistsException raced) {
      // another process made it first: SQLite opens theirs
    } catch (UnsupportedOperationException notPosix) {
      // no POSIX modes here: SQLite creates the file as before
    }
    return db.toString();
  }

  public DSLContext dsl() {
    return dsl;
  }

  @Override
  public void close() {
    dataSource.close();
    closeQuietly(processLock);
  }
}
