package io.turnstile.store.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.turnstile.config.StoreConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteDataSource;

class DatabaseMigrationsTest {
  @TempDir Path dir;

  @Test
  void latestMigration_isTheNewestFileThisBuildCarries() throws Exception {
    Pattern name = Pattern.compile("V(\\d+)__.*\\.sql");
    int newest = 0;
    java.util.BitSet carried = new java.util.BitSet();
    try (Stream<Path> files = Files.list(Path.of("src/main/resources/db/migration"))) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Matcher m = name.matcher(f.getFileName().toString());
        if (m.matches()) {
          newest = Math.max(newest, Integer.parseInt(m.group(1)));
          carried.set(Integer.parseInt(m.group(1)));
        }
      }
    }
    assertThat(Database.LATEST_MIGRATION).isEqualTo(newest);
    assertThat(Database.MIGRATIONS).isEqualTo(carried);
  }

  @Test
  void aStoreIsUpToDate_onlyOnceEveryMigrationApplied_andFlywayRunsOtherwise() throws Exception {
    Path db = dir.resolve("t.db");
    SQLiteDataSource ds = new SQLiteDataSource();
    ds.setUrl("jdbc:sqlite:" + db);
    assertThat(Database.upToDate(ds)).as("a new store").isFalse();

    StoreConfig config = new StoreConfig("jdbc:sqlite:" + db, null, null, null, dir.resolve("store.key"), 2);
    Database.open(config).close();
    assertThat(Database.upToDate(ds)).isTrue();
    // Opened again: the skipped Flyway leaves the store as it was, and it still opens.
    Database.open(config).close();
    assertThat(Database.upToDate(ds)).isTrue();

    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      s.executeUpdate("UPDATE flyway_schema_history SET success = 0 WHERE version = '"
          + Database.LATEST_MIGRATION + "'");
    }
    assertThat(Database.upToDate(ds)).as("a failed migration").isFalse();
    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      s.executeUpdate("DELETE FROM flyway_schema_history WHERE version = '" + Database.LATEST_MIGRATION + "'");
    }
    assertThat(Database.upToDate(ds)).as("a migration missing").isFalse();
  }
}
