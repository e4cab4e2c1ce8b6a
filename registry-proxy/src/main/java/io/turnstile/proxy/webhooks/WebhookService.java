package io.turnstile.proxy.webhooks;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.turnstile.config.WebhooksConfig;
import io.turnstile.proxy.transport.Transport;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.PullRecord;
import io.turnstile.store.WebhookPayloads;
import java.time.Clock;
import java.util.concurrent.TimeUnit;

/**
 * Webhooks as a running part of Turnstile: the delivery threads, the one event loop their
 * connections use (never one of the listeners'), and the expiry watch. Started after the store is
 * open; closed before it closes. What is not yet delivered at a close stays in the outbox.
 */
public final class WebhookService implements AutoCloseable {
  private final EventLoopGroup loop;
  private final WebhookDispatcher dispatcher;
  private final ExpiryWatch expiry;
  private final LicenseStore.Subscription wakeOnWrite;
  private final LicenseStore store;
  private final Cache<String, Boolean> asked = Caffeine.newBuilder().maximumSize(100_000).build();

  private WebhookService(LicenseStore store, EventLoopGroup loop, WebhookDispatcher dispatcher, ExpiryWatch expiry,
      LicenseStore.Subscription wakeOnWrite) {
    this.store = store;
    this.loop = loop;
    this.dispatcher = dispatcher;
    this.expiry = expiry;
    this.wakeOnWrite = wakeOnWrite;
  }

  /** Renders payloads with {@code payloads} from now on and starts delivering. */
  public static WebhookService start(WebhooksConfig config, LicenseStore store, WebhookPayloads payloads,
      MeterRegistry meters, Clock clock) {
    store.webhooks().renderWith(payloads);
    EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, Transport.ioHandlerFactory());
    WebhookClient client = new WebhookClient(loop, new AddressPolicy(config), config.timeout());
    WebhookDispatcher dispatcher = new WebhookDispatcher(store.webhooks(), config, client, clock, meters).start();
    LicenseStore.Subscription wake = store.onSnapshot(dispatcher::written);
    return new WebhookService(store, loop, dispatcher, new ExpiryWatch(store, clock, meters).start(config.expiryCheck()), wake);
  }

  /**
   * Announces a license's first pull of a version ({@code pull.first_of_version}), for the pull
   * audit log's writer thread: the store decides once across replicas; this replica remembers the
   * versions it has asked about, so a busy registry asks about each only once.
   */
  public void pulled(PullRecord record) {
    if (record.version() == null || record.licenseId() == null || !store.webhooks().active()) {
      return;
    }
    String key = record.licenseId().value() + "\n" + record.version();
    if (asked.getIfPresent(key) == null) {
      store.webhooks().firstPull(record.licenseId(), record.repository(), record.version(), record.at());
      asked.put(key, Boolean.TRUE);
    }
  }

  /** Whether the delivery poller is alive, for the process's vitals. */
  public boolean running() {
    return dispatcher.running();
  }

  @Override
  public void close() {
    wakeOnWrite.close();
    expiry.close();
    dispatcher.close();
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
