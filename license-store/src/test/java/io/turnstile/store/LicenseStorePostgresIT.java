package io.turnstile.store;

import io.turnstile.config.StoreConfig;
import io.turnstile.store.testing.PostgresServer;
import io.turnstile.store.testing.TestPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The store's contract on a real PostgreSQL server, a fresh database per test. */
class LicenseStorePostgresIT extends LicenseStoreContract {
  @RegisterExtension static final PostgresServer postgres = new PostgresServer();
  private String url;

  @Override
  StoreConfig config() throws Exception {
    url = postgres.newDatabase();
    return new StoreConfig(url, TestPostgres.USER, null, null, dir.resolve("store.key"), 2);
  }

  @Override
  String databaseText() throws Exception {
    StringBuilder sb = new StringBuilder();
    try (Connection c = rawConnection(); Statement s = c.createStatement()) {
      for (String table : List.of("customers", "customer_keys", "licenses", "license_versions", "events")) {
        try (ResultSet rs = s.executeQuery("select t::text from " + table + " t")) {
          while (rs.next()) {
            sb.append(rs.getString(1)).append('\n');
          }
        }
      }
    }
    return sb.toString();
  }

  @Override
  Connection rawConnection() throws Exception {
    return DriverManager.getConnection(url, TestPostgres.USER, "");
  }
}
