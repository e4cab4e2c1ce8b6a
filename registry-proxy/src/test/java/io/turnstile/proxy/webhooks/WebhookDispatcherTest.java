package io.turnstile.proxy.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.turnstile.config.ApplicationConfig;
import io.turnstile.config.Cidr;
import io.turnstile.config.RepositoryConfig;
import io.turnstile.config.StoreConfig;
import io.turnstile.config.WebhooksConfig;
import io.turnstile.proxy.transport.Transport;
import io.turnstile.proxy.testing.WebhookReceiver;
import io.turnstile.store.Catalog;
import io.turnstile.store.CustomerId;
import io.turnstile.store.LicenseId;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.NewLicense;
import io.turnstile.store.StoreFactory;
import io.turnstile.store.WebhookDelivery;
import io.turnstile.store.testing.Eventually;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dispatcher against a real store and a real receiver: a customer's events go out as one run,
 * in commit order; a failure in the middle stops the run, and nothing after it is sent before its
 * retry succeeds.
 */
class WebhookDispatcherTest {
  private static final Catalog CATALOG = new Catalog(List.of(new ApplicationConfig("app",
      List.of(new RepositoryConfig("vendor/app", "up", "org/app", null)))));
  private static final WebhooksConfig CONFIG = new WebhooksConfig(true, List.of(Cidr.parse("127.0.0.0/8")),
      Duration.ofSeconds(5), 2, Duration.ofMillis(50), Duration.ofHours(1), Duration.ofMillis(50), null);

  @TempDir Path dir;

  @Test
  void aFailureInTheMiddleOfARun_stopsIt_andTheRestFollowsItsRetry_inOrder() throws Exception {
    EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, Transport.ioHandlerFactory());
    try (WebhookReceiver receiver = new WebhookReceiver();
        LicenseStore store = StoreFactory.open(new StoreConfig("jdbc:sqlite:" + dir.resolve("turnstile.db"), null,
            null, null, dir.resolve("store.key"), 2), CATALOG, Clock.systemUTC())) {
      String endpoint = store.webhooks().create(URI.create(receiver.url()), "crm", List.of("*"), true, "test")
          .endpoint().id();
      // Ten events of one customer, all waiting when the dispatcher starts: its first look leases them as a run.
      CustomerId acme = store.createCustomer("Acme", "test").id();
      LicenseId license = new LicenseId(store.createLicense(new NewLicense("prod", acme, "app", null,
          List.of("1.0.0"), null), "test").username());
      for (int i = 1; i <= 8; i++) {
        store.grantVersions(license, List.of("1." + i + ".0"), "test");
      }
      receiver.answer(204, 204, 500);
      try (WebhookDispatcher dispatcher = new WebhookDispatcher(store.webhooks(), CONFIG,
          new WebhookClient(loop, new AddressPolicy(CONFIG), CONFIG.timeout()), Clock.systemUTC(),
          new SimpleMeterRegistry()).start()) {
        Eventually.until("all ten delivered", () -> {
          List<WebhookDelivery> d = store.webhooks().deliveries(endpoint, 100);
          return d.size() == 10 && d.stream().allMatch(x -> x.state().equals("delivered"));
        });
      }
      List<WebhookDelivery> oldestFirst = new ArrayList<>(store.webhooks().deliveries(endpoint, 100));
      java.util.Collections.reverse(oldestFirst);
      List<String> arrived = receiver.received().stream().map(r -> r.header("webhook-id")).toList();
      assertThat(arrived).as("the third once failed, then the rest").hasSize(11);
      assertThat(arrived.get(3)).as("the third again, before anything after it").isEqualTo(arrived.get(2));
      List<String> once = new ArrayList<>(arrived);
      once.remove(3);
      assertThat(once).containsExactlyElementsOf(oldestFirst.stream().map(WebhookDelivery::eventId).toList());
      assertThat(oldestFirst).extracting(WebhookDelivery::attempts).containsExactly(1, 1, 2, 1, 1, 1, 1, 1, 1, 1);
    } finally {
      loop.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS);
    }
  }

  @Test
  void anEndpointDisabledInTheMiddleOfARun_getsNothingMore_andTheRestFollowsOnceItIsEnabled() throws Exception {
    EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, Transport.ioHandlerFactory());
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    try (WebhookReceiver receiver = new WebhookReceiver().holdUntil(release);
        LicenseStore store = StoreFactory.open(new StoreConfig("jdbc:sqlite:" + dir.resolve("turnstile.db"), null,
            null, null, dir.resolve("store.key"), 2), CATALOG, Clock.systemUTC())) {
      String endpoint = store.webhooks().create(URI.create(receiver.url()), "crm", List.of("*"), true, "test")
          .endpoint().id();
      CustomerId acme = store.createCustomer("Acme", "test").id();
      LicenseId license = new LicenseId(store.createLicense(new NewLicense("prod", acme, "app", null,
          List.of("1.0.0"), null), "test").username());
      store.grantVersions(license, List.of("1.1.0"), "test");
      try (WebhookDispatcher dispatcher = new WebhookDispatcher(store.webhooks(), CONFIG,
          new WebhookClient(loop, new AddressPolicy(CONFIG), CONFIG.timeout()), Clock.systemUTC(),
          new SimpleMeterRegistry()).start()) {
        Eventually.until("the run's first attempt under way", () -> receiver.received().size() == 1);
        store.webhooks().update(endpoint, null, null, null, false, "test");
        release.countDown();
        // The first succeeds; the rest are let go in the same write that records it.
        Eventually.until("the first delivered", () -> store.webhooks().deliveries(endpoint, 10).stream()
            .anyMatch(d -> d.state().equals("delivered")));
        assertThat(receiver.received()).as("nothing after the endpoint was disabled").hasSize(1);
        store.webhooks().update(endpoint, null, null, null, true, "test");
        Eventually.until("all three delivered", () -> store.webhooks().deliveries(endpoint, 10).stream()
            .filter(d -> d.state().equals("delivered")).count() == 3);
      }
      List<WebhookDelivery> oldestFirst = new ArrayList<>(store.webhooks().deliveries(endpoint, 10));
      java.util.Collections.reverse(oldestFirst);
      assertThat(receiver.received().stream().map(r -> r.header("webhook-id")).toList())
          .containsExactlyElementsOf(oldestFirst.stream().map(WebhookDelivery::eventId).toList());
    } finally {
      loop.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS);
    }
  }
}
