package io.turnstile.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.turnstile.config.StoreConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The store on SQLite, the embedded default: the contract, and what only a file has. */
class LicenseStoreTest extends LicenseStoreContract {
  @Override
  StoreConfig config() {
    return StoreFixture.config(dir);
  }

  @Override
  String databaseText() throws Exception {
    StringBuilder sb = new StringBuilder();
    for (String f : List.of("turnstile.db", "turnstile.db-wal")) {
      Path p = dir.resolve(f);
      if (Files.exists(p)) {
        sb.append(new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1));
      }
    }
    return sb.toString();
  }

  @Override
  Connection rawConnection() throws Exception {
    return DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("turnstile.db"));
  }

  @Test
  void sqliteRunsInWalModeWithForeignKeys() throws Exception {
    assertThat(Files.exists(dir.resolve("turnstile.db-wal"))).isTrue();
  }

  @Test
  void sqliteDatabaseAndItsWalAndShmFiles_areOwnerOnly() throws Exception {
    store.createLicense(new NewLicense("prod", store.customers().get(0).id(), "app", null, List.of("1.0.0"), null), "t");
    for (String f : List.of("turnstile.db", "turnstile.db-wal", "turnstile.db-shm")) {
      assertThat(Files.getPosixFilePermissions(dir.resolve(f))).as(f)
          .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    }
  }

  @Test
  void aSecondProcessOnTheSameSqliteFile_isRefusedWithAClearError() {
    // The lock is per process; a second open in this one stands in for a second process.
    assertThatThrownBy(this::open)
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("is in use by another Turnstile process")
        .hasMessageContaining("use PostgreSQL");
  }
}
