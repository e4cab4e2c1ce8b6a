package io.turnstile.store;

import io.turnstile.config.StoreConfig;
import io.turnstile.config.TurnstileConfig;
import io.turnstile.store.internal.CredentialCipher;
import io.turnstile.store.internal.Database;
import io.turnstile.store.internal.JooqLicenseStore;
import java.io.IOException;
import java.time.Clock;

/** Opens the license store a configuration names: migrates the schema and loads the snapshot. */
public final class StoreFactory {
  private StoreFactory() {}

  public static LicenseStore open(TurnstileConfig config) throws IOException {
    return open(config.store(), new Catalog(config.applications()), Clock.systemUTC());
  }

  public static LicenseStore open(StoreConfig store, Catalog catalog, Clock clock) throws IOException {
    CredentialCipher cipher = CredentialCipher.fromConfig(store.encryptionKey(), store.encryptionKeyFile());
    Database database = Database.open(store);
    try {
      return new JooqLicenseStore(database, cipher, catalog, clock, store.pollInterval());
    } catch (RuntimeException e) {
      database.close();
      throw e;
    }
  }
}
