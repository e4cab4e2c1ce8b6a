package io.turnstile.proxy.portal;

import io.turnstile.config.ApplicationConfig;
import io.turnstile.config.RepositoryConfig;
import io.turnstile.config.StoreConfig;
import io.turnstile.store.Access;
import io.turnstile.store.Catalog;
import io.turnstile.store.CustomerId;
import io.turnstile.store.IssuedKey;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.NewLicense;
import io.turnstile.store.StoreFactory;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/** A real SQLite store in {@code dir} for the portal's unit tests, on the test's clock, with one application. */
final class PortalStore implements AutoCloseable {
  final LicenseStore store;

  PortalStore(Path dir, Clock clock) throws Exception {
    Catalog catalog = new Catalog(List.of(new ApplicationConfig("app",
        List.of(new RepositoryConfig("vendor/app", "up", null, null)))));
    store = StoreFactory.open(new StoreConfig("jdbc:sqlite:" + dir.resolve("t.db"), null, null, null,
        dir.resolve("k"), 1), catalog, clock);
  }

  /** A new customer {@code name} with a license granting 1.0.0, signed in with that license's key. */
  PortalUser customer(String name) {
    CustomerId c = store.createCustomer(name, "test").id();
    IssuedKey key = store.createLicense(new NewLicense(null, c, "app", null, List.of("1.0.0"), null), "test");
    return PortalUser.of(((Access) store.authorize(key.username(), key.key())).principal());
  }

  /** A second key of {@code user}'s customer: a customer key, a credential of its own. */
  PortalUser customerKey(PortalUser user) {
    IssuedKey key = store.createCustomerKey(user.customerId(), "test");
    return PortalUser.of(((Access) store.authorize(key.username(), key.key())).principal());
  }

  @Override
  public void close() {
    store.close();
  }
}
