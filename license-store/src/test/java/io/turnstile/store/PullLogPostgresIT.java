package io.turnstile.store;

import io.turnstile.config.StoreConfig;
import io.turnstile.store.testing.PostgresServer;
import io.turnstile.store.testing.TestPostgres;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The pull audit log on a real PostgreSQL server, a fresh database per test. */
class PullLogPostgresIT extends PullLogContract {
  @RegisterExtension static final PostgresServer postgres = new PostgresServer();

  @Override
  StoreConfig config() throws Exception {
    return new StoreConfig(postgres.newDatabase(), TestPostgres.USER, null, null, dir.resolve("store.key"), 2);
  }
}
