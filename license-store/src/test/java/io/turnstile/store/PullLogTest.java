package io.turnstile.store;

import io.turnstile.config.StoreConfig;

/** The pull audit log on SQLite, the embedded default. */
class PullLogTest extends PullLogContract {
  @Override
  StoreConfig config() {
    return StoreFixture.config(dir);
  }
}
