package io.turnstile.store.internal;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.turnstile.config.StoreConfig;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.flywaydb.core.Flyway;
import java.util.concurrent.atomic.AtomicLong;
import org.jooq.DSLContext;
import org.jooq.ExecuteContext;
import org.jooq.ExecuteListener;
import org.jooq.impl.DefaultConfiguration;
import org.jooq.SQLDialect;
import org.jooq.conf.Settings;
import org.jooq.impl.DSL;

/** Opens the store's database: a small Hikari pool, Flyway migrations, a jOOQ context. */
public final class Database implements AutoCloseable {
  private final HikariDataSource dataSource;
  private final DSLContext dsl;

  private final AtomicLong queries = new AtomicLong();

  private Database(HikariDataSource dataSource, SQLDialect dialect) {
    this.dataSource = dataSource;
    DefaultConfiguration configuration = new DefaultConfiguration();
    configuration.set(dataSource);
    configuration.set(dialect);
    configuration.set(new Settings().withExecuteLogging(false).withRenderSchema(false));
    configuration.set(new ExecuteListener() {
      @Override
      public void executeStart(ExecuteContext ctx) {
        queries.incrementAndGet();
      }
    });
    this.dsl = DSL.using(configuration);
  }

  /** How many SQL statements this database has executed through jOOQ; a batch counts once. */
  public long queriesExecuted() {
    return queries.get();
  }

  /** Opens the database named by {@code config} and migrates it to the latest schema. */
  public static Database open(StoreConfig config) throws IOException {
    HikariConfig hikari = new HikariConfig();
    hikari.setJdbcUrl(config.url());
    hikari.setPoolName("turnstile-store");
    hikari.setMaximumPoolSize(config.maxPoolSize());
    SQLDialect dialect;
    if (config.url().startsWith("jdbc:sqlite:")) {
      dialect = SQLDialect.SQLITE;
      createOwnerOnly(config.url().substring("jdbc:sqlite:".length()));
      hikari.addDataSourceProperty("journal_mode", "WAL");
      hikari.addDataSourceProperty("foreign_keys", "true");
      hikari.addDataSourceProperty("busy_timeout", "5000");
      hikari.addDataSourceProperty("synchronous", "NORMAL");
    } else {
      dialect = SQLDialect.POSTGRES;
      if (config.username() != null) hikari.setUsername(config.username());
      if (config.password() != null) hikari.setPassword(config.password());
    }
    HikariDataSource ds = new HikariDataSource(hikari);
    try {
      Flyway.configure()
          .dataSource(ds)
          .locations("classpath:db/migration")
          .loggers("slf4j")
          .load()
          .migrate();
    } catch (RuntimeException e) {
      ds.close();
      throw e;
    }
    return new Database(ds, dialect);
  }

  /**
   * Creates the SQLite file's directory and, when the file is missing, the file itself with mode
   * 0600: it holds key hashes and encrypted upstream credentials. SQLite gives the {@code -wal},
   * {@code -shm} and journal files the database file's mode, so they are owner-only too. An
   * existing file keeps its mode.
   */
  private static void createOwnerOnly(String file) throws IOException {
    int query = file.indexOf('?');
    String path = query < 0 ? file : file.substring(0, query);
    if (path.isEmpty() || path.startsWith(":memory:") || path.startsWith("file:")) {
      return;
    }
    Path db = Path.of(path).toAbsolutePath();
    Path parent = db.getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    if (Files.exists(db)) {
      return;
    }
    try {
      Files.createFile(db, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (FileAlreadyExistsException raced) {
      // another process made it first: SQLite opens theirs
    } catch (UnsupportedOperationException notPosix) {
      // no POSIX modes here: SQLite creates the file as before
    }
  }

  public DSLContext dsl() {
    return dsl;
  }

  @Override
  public void close() {
    dataSource.close();
  }
}
