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
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
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
  private final EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, Transport.ioHandlerFactory());
  private final WebhookReceiver receiver;
  private LicenseStore store;
  private String endpoint;

  WebhookDispatcherTest() throws Exception {
    receiver = new WebhookReceiver();
  }

  @AfterEach
  void stop() {
    if (store != null) {
      store.close();
    }
    receiver.close();
    loop.shutdownGracefully(0, 0, TimeUnit.SECONDS);
  }

  /**
   * A store whose endpoint is the receiver, holding one customer's events: its creation, a license
   * and {@code grants} versions granted, all waiting when the dispatcher starts, so that its first
   * look leases them as one run.
   */
  private void customerWithEvents(int grants) throws Exception {
    store = StoreFactory.open(new StoreConfig("jdbc:sqlite:" + dir.resolve("turnstile.db"), null, null, null,
        dir.resolve("store.key"), 2), CATALOG, Clock.systemUTC());
    endpoint = store.webhooks().create(URI.create(receiver.url()), "crm", List.of("*"), true, "test").endpoint().id();
    CustomerId acme = store.createCustomer("Acme", "test").id();
    LicenseId license = new LicenseId(store.createLicense(new NewLicense("prod", acme, "app", null,
        List.of("1.0.0"), null), "test").username());
    for (int i = 1; i <= grants; i++) {
      store.grantVersions(license, List.of("1." + i + ".0"), "test");
    }
  }

  private WebhookDispatcher dispatcher() {
    return new WebhookDispatcher(store.webhooks(), CONFIG, new WebhookClient(loop, new AddressPolicy(CONFIG),
        CONFIG.timeout()), Clock.systemUTC(), new SimpleMeterRegistry()).start();
  }

  private long delivered() {
    return store.webhooks().deliveries(endpoint, 100).stream().filter(d -> d.state().equals("delivered")).count();
  }

  private List<String> eventIdsOldestFirst() {
    List<WebhookDelivery> oldestFirst = new ArrayList<>(store.webhooks().deliveries(endpoint, 100));
    Collections.reverse(oldestFirst);
    return oldestFirst.stream().map(WebhookDelivery::eventId).toList();
  }

  @Test
  void aFailureInTheMiddleOfARun_stopsIt_andTheRestFollowsItsRetry_inOrder() throws Exception {
    customerWithEvents(8);
    receiver.answer(204, 204, 500);
    try (WebhookDispatcher dispatcher = dispatcher()) {
      Eventually.until("all ten delivered", () -> delivered() == 10);
    }
    List<String> arrived = receiver.received().stream().map(r -> r.header("webhook-id")).toList();
    assertThat(arrived).as("the third once failed, then the rest").hasSize(11);
    assertThat(arrived.get(3)).as("the third again, before anything after it").isEqualTo(arrived.get(2));
    List<String> once = new ArrayList<>(arrived);
    once.remove(3);
    assertThat(once).containsExactlyElementsOf(eventIdsOldestFirst());
    List<WebhookDelivery> newestFirst = store.webhooks().deliveries(endpoint, 100);
    assertThat(newestFirst).extracting(WebhookDelivery::attempts).containsExactly(1, 1, 1, 1, 1, 1, 1, 2, 1, 1);
  }

  @Test
  void anEndpointDisabledInTheMiddleOfARun_getsNothingMore_andTheRestFollowsOnceItIsEnabled() throws Exception {
    customerWithEvents(1);
    CountDownLatch release = new CountDownLatch(1);
    receiver.holdUntil(release);
    try (WebhookDispatcher dispatcher = dispatcher()) {
      Eventually.until("the run's first attempt under way", () -> receiver.received().size() == 1);
      store.webhooks().update(endpoint, null, null, null, false, "test");
      release.countDown();
      // The first succeeds; the rest are let go in the same write that records it.
      Eventually.until("the first delivered", () -> delivered() == 1);
      assertThat(receiver.received()).as("nothing after the endpoint was disabled").hasSize(1);
      store.webhooks().update(endpoint, null, null, null, true, "test");
      Eventually.until("all three delivered", () -> delivered() == 3);
    }
    assertThat(receiver.received().stream().map(r -> r.header("webhook-id")).toList())
        .containsExactlyElementsOf(eventIdsOldestFirst());
  }
}
