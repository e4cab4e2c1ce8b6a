package io.turnstile.store;

import io.turnstile.config.StoreConfig;
import io.turnstile.store.testing.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The pull audit log on a real PostgreSQL server, a fresh database per test. */
class PullLogPostgresIT extends PullLogContract {
  private static TestPostgres postgres;

  @BeforeAll
  static void startPostgres() throws Exception {
    postgres = TestPostgres.launch();
  }

  @AfterAll
  static void stopPostgres() {
    postgres.close();
  }

  @Override
  StoreConfig config() throws Exception {
    return new StoreConfig(postgres.newDatabase(), TestPostgres.USER, null, null, dir.resolve("store.key"), 2);
  }
}
