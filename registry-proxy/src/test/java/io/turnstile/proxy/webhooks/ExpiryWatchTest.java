package io.turnstile.proxy.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.turnstile.config.ApplicationConfig;
import io.turnstile.config.RepositoryConfig;
import io.turnstile.config.StoreConfig;
import io.turnstile.store.Catalog;
import io.turnstile.store.CustomerId;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.NewLicense;
import io.turnstile.store.StoreFactory;
import io.turnstile.store.WebhookDelivery;
import io.turnstile.store.testing.MutableClock;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Expiry warnings by an injected clock, against a real store: each threshold once, across restarts. */
class ExpiryWatchTest {
  private static final Catalog CATALOG = new Catalog(List.of(new ApplicationConfig("app",
      List.of(new RepositoryConfig("vendor/app", "up", "org/app", null)))));
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(T0);

  private LicenseStore open() throws Exception {
    return StoreFactory.open(new StoreConfig("jdbc:sqlite:" + dir.resolve("turnstile.db"), null, null, null,
        dir.resolve("store.key"), 2), CATALOG, clock);
  }

  private static List<String> queued(LicenseStore store, String endpoint) {
    store.webhooks().claim("poller", 0, Duration.ofSeconds(30)); // fans the events out
    List<String> newestFirst = new ArrayList<>(
        store.webhooks().deliveries(endpoint, 100).stream().map(WebhookDelivery::eventType).toList());
    Collections.reverse(newestFirst);
    return newestFirst;
  }

  @Test
  void eachThresholdIsQueuedOnceAsTheClockPassesIt_andNotAgainAfterARestart() throws Exception {
    String endpoint;
    try (LicenseStore store = open()) {
      endpoint = store.webhooks().create(URI.create("https://hooks.example.com/"), "crm",
          List.of("license.expiring", "license.expired"), true, "test").endpoint().id();
      CustomerId customer = store.createCustomer("Acme", "test").id();
      store.createLicense(new NewLicense("prod", customer, "app", T0.plus(Duration.ofDays(40)), List.of("1.0.0"),
          null), "test");
      ExpiryWatch watch = new ExpiryWatch(store, clock, new SimpleMeterRegistry());
      assertThat(watch.check()).as("40 days left").isZero();
      clock.advance(Duration.ofDays(11));
      assertThat(watch.check()).as("29 days left").isEqualTo(1);
      assertThat(watch.check()).as("the same again").isZero();
      clock.advance(Duration.ofDays(22));
      assertThat(watch.check()).as("7 days left").isEqualTo(1);
      clock.advance(Duration.ofDays(6).plusHours(1));
      assertThat(watch.check()).as("23 hours left").isEqualTo(1);
      clock.advance(Duration.ofHours(23));
      assertThat(watch.check()).as("expired").isEqualTo(1);
      assertThat(watch.check()).isZero();
      assertThat(queued(store, endpoint)).containsExactly("license.expiring", "license.expiring", "license.expiring",
          "license.expired");
    }
    try (LicenseStore store = open()) {
      assertThat(new ExpiryWatch(store, clock, new SimpleMeterRegistry()).check()).as("after a restart").isZero();
      assertThat(queued(store, endpoint)).hasSize(4);
    }
  }
}
