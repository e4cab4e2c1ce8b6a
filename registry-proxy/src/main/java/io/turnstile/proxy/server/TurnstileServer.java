package io.turnstile.proxy.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.turnstile.config.TurnstileConfig;
import io.turnstile.proxy.access.ClosureCache;
import io.turnstile.proxy.access.DataPlane;
import io.turnstile.proxy.access.RegistryAuthenticator;
import io.turnstile.proxy.admin.AdminApi;
import io.turnstile.proxy.admin.AdminServer;
import io.turnstile.proxy.admin.UpstreamVersions;
import io.turnstile.proxy.audit.PullAuditLog;
import io.turnstile.proxy.audit.PullRecorder;
import io.turnstile.proxy.token.LoginGuard;
import io.turnstile.proxy.token.SigningKeys;
import io.turnstile.proxy.token.TokenEndpoint;
import io.turnstile.proxy.token.TokenService;
import io.turnstile.proxy.transport.Transport;
import io.turnstile.proxy.upstream.UpstreamClient;
import io.turnstile.proxy.upstream.UpstreamTags;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.StoreFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Turnstile: the license store, the admin listener and the public registry listener,
 * sharing one set of event loops. Blocking work (database, key files) runs on a bounded executor,
 * never on an event loop.
 */
public final class TurnstileServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TurnstileServer.class);

  private final LicenseStore store;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final ExecutorService blocking;
  private final AdminServer admin;
  private final RegistryServer registry;
  private final UpstreamClient upstream;
  /** The pull audit log's writer; null when {@code audit.enabled} is false. */
  private final PullAuditLog pulls;
  private static final int WORKER_THREADS = Math.max(2, Runtime.getRuntime().availableProcessors());

  private TurnstileServer(LicenseStore store, EventLoopGroup boss, EventLoopGroup workers, ExecutorService blocking,
      AdminServer admin, RegistryServer registry, UpstreamClient upstream, PullAuditLog pulls) {
    this.upstream = upstream;
    this.pulls = pulls;
    this.store = store;
    this.boss = boss;
    this.workers = workers;
    this.blocking = blocking;
    this.admin = admin;
    this.registry = registry;
  }

  /** Opens the store and binds both listeners; on failure everything opened so far is closed. */
  public static TurnstileServer start(TurnstileConfig config) throws IOException, InterruptedException {
    SigningKeys keys = SigningKeys.load(config.token().signingKey(), config.token().algorithm());
    LicenseStore store = StoreFactory.open(config);
    EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, Transport.ioHandlerFactory());
    EventLoopGroup workers = new MultiThreadIoEventLoopGroup(WORKER_THREADS, Transport.ioHandlerFactory());
    ExecutorService blocking = blockingExecutor();
    UpstreamClient upstream = null;
    PullAuditLog pulls = null;
    try {
      ObjectMapper json = Json.mapper();
      Clock clock = Clock.systemUTC();
      upstream = new UpstreamClient(config.upstreams(), workers, json, clock);
      AdminApi api = new AdminApi(store, config.applications(),
          new UpstreamVersions(config, new UpstreamTags(upstream, json)), config.server().publicUrl(), json, clock);
      AdminServer admin = AdminServer.start(config.admin().listen(), boss, workers, api, config.admin().token(),
          blocking, json);
      pulls = config.audit().enabled() ? new PullAuditLog(store.pulls(), config.audit(), clock) : null;
      TokenService tokens = new TokenService(keys, config.token(), clock);
      LoginGuard logins = new LoginGuard(store, config.server().loginThrottle());
      RegistryServices services = new RegistryServices(
          new TokenEndpoint(store, logins, tokens, json, clock),
          new RegistryAuthenticator(store, logins, tokens, config.server().baseUrl()),
          new DataPlane(config, upstream,
              new ClosureCache(upstream, json, config.cache()), json, pulls == null ? PullRecorder.OFF : pulls),
          json,
          json.writeValueAsBytes(keys.publicJwks().toJSONObject()));
      RegistryServer registry;
      try {
        registry = RegistryServer.start(config.server(), boss, workers, services);
      } catch (InterruptedException | RuntimeException e) {
        admin.close();
        throw e;
      }
      log.info("registry listening on {} (public URL {}, {} transport)", registry.address(), config.server().baseUrl(),
          Transport.name());
      log.info("admin API listening on {}", admin.address());
      return new TurnstileServer(store, boss, workers, blocking, admin, registry, upstream, pulls);
    } catch (IOException | InterruptedException | RuntimeException e) {
      if (upstream != null) {
        upstream.close();
      }
      if (pulls != null) {
        pulls.close();
      }
      shutdown(boss, workers, blocking);
      store.close();
      throw e;
    }
  }

  private static ExecutorService blockingExecutor() {
    AtomicInteger n = new AtomicInteger();
    return new ThreadPoolExecutor(4, 4, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(1024), r -> {
      Thread t = new Thread(r, "turnstile-blocking-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  public LicenseStore store() {
    return store;
  }


  /** The pull audit log's writer, for its stats and a flush; null when the audit log is off. */
  public PullAuditLog pullAudit() {
    return pulls;
  }

  public InetSocketAddress registryAddress() {
    return registry.address();
  }

  public InetSocketAddress adminAddress() {
    return admin.address();
  }

  @Override
  public void close() {
    registry.close();
    admin.close();
    upstream.close();
    shutdown(boss, workers, blocking);
    if (pulls != null) {
      // After the listeners: the last pulls are queued by now, and written before the store closes.
      pulls.close();
    }
    store.close();
  }

  private static void shutdown(EventLoopGroup boss, EventLoopGroup workers, ExecutorService blocking) {
    boss.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    blocking.shutdownNow();
  }
}
