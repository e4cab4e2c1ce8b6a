package io.turnstile.store;

import io.turnstile.config.ApplicationConfig;
import io.turnstile.config.RepositoryConfig;
import io.turnstile.config.StoreConfig;
import io.turnstile.store.testing.MutableClock;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/** Opens stores on a fresh SQLite file, with two applications. */
final class StoreFixture {
  static final Catalog CATALOG = new Catalog(List.of(
      new ApplicationConfig("app", List.of(
          new RepositoryConfig("vendor/app", "up", "org/app", List.of("{version}", "v{version}")),
          new RepositoryConfig("charts/app", "up", null, null))),
      new ApplicationConfig("tool", List.of(new RepositoryConfig("vendor/tool", "up", null, null)))));

  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private StoreFixture() {}

  static StoreConfig config(Path dir) {
    return new StoreConfig("jdbc:sqlite:" + dir.resolve("turnstile.db"), null, null, null, dir.resolve("store.key"), 2);
  }

  static LicenseStore open(Path dir, MutableClock clock) throws Exception {
    return StoreFactory.open(config(dir), CATALOG, clock);
  }

  /**
   * One enabled endpoint that wants every event; payloads read "{type} {versions}" (the license's
   * versions, sorted, as the event's change left them), so tests can tell which state each shows.
   */
  static void oneEndpointShowingVersions(LicenseStore store) {
    store.webhooks().create(java.net.URI.create("https://hooks.example.com/"), "crm", List.of("*"), true, "test");
    store.webhooks().renderWith(e -> e.type() + " " + (e.license() == null ? ""
        : new java.util.TreeSet<>(e.license().versions()).toString()));
  }
}
