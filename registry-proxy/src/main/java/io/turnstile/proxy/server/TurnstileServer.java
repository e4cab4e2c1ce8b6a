package io.turnstile.proxy.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.turnstile.config.ApplicationConfig;
import io.turnstile.config.TurnstileConfig;
import io.turnstile.config.UpstreamConfig;
import io.turnstile.proxy.licensing.LicenseCheck;
import io.turnstile.proxy.licensing.LicenseFiles;
import io.turnstile.proxy.licensing.LicenseKeys;
import io.turnstile.proxy.access.ClosureCache;
import io.turnstile.proxy.access.DataPlane;
import io.turnstile.proxy.access.KeptManifests;
import io.turnstile.proxy.access.RegistryAuthenticator;
import io.turnstile.proxy.access.RegistryBackend;
import io.turnstile.proxy.access.TagSightings;
import io.turnstile.proxy.access.TagWatch;
import io.turnstile.proxy.admin.AdminApi;
import io.turnstile.proxy.admin.AdminServer;
import io.turnstile.proxy.admin.AdminToken;
import io.turnstile.proxy.admin.Operations;
import io.turnstile.proxy.admin.UpstreamVersions;
import io.turnstile.proxy.admin.WebhookPayloadViews;
import io.turnstile.proxy.audit.AuditMetrics;
import io.turnstile.proxy.audit.PullAuditLog;
import io.turnstile.proxy.limits.LimitRules;
import io.turnstile.proxy.limits.Periods;
import io.turnstile.proxy.limits.UsageMeter;
import io.turnstile.proxy.audit.PullRecorder;
import io.turnstile.proxy.blobs.BlobStores;
import io.turnstile.proxy.console.Console;
import io.turnstile.proxy.console.ConsoleHandler;
import io.turnstile.proxy.console.SignIns;
import io.turnstile.proxy.console.oidc.OidcSignIn;
import io.turnstile.proxy.observe.Health;
import io.turnstile.proxy.observe.Metrics;
import io.turnstile.proxy.observe.RequestMetrics;
import io.turnstile.proxy.observe.StoreMetrics;
import io.turnstile.proxy.observe.UpstreamMetrics;
import io.turnstile.proxy.observe.Vitals;
import io.turnstile.proxy.oci.PullSecrets;
import io.turnstile.proxy.oci.RegistryError;
import io.turnstile.proxy.oci.RegistryException;
import io.turnstile.proxy.portal.Portal;
import io.turnstile.proxy.tls.TlsMaterialException;
import io.turnstile.proxy.token.Jwks;
import io.turnstile.proxy.token.KeyRing;
import io.turnstile.proxy.token.LoginGuard;
import io.turnstile.proxy.token.SignatureProvider;
import io.turnstile.proxy.token.SigningKeys;
import io.turnstile.proxy.token.TokenEndpoint;
import io.turnstile.proxy.token.TokenService;
import io.turnstile.proxy.transport.Transport;
import io.turnstile.proxy.upstream.UpstreamClient;
import io.turnstile.proxy.upstream.UpstreamTags;
import io.turnstile.proxy.webhooks.WebhookService;
import io.turnstile.store.KeyPurpose;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.StoreFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Turnstile: the license store, the admin listener and the public registry listener,
 * sharing one set of event loops ({@link ServerThreads}). Blocking work (database, key files) runs
 * on a bounded executor, never on an event loop. {@link #stop} ends it gracefully, {@link #close} at once.
 */
public final class TurnstileServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TurnstileServer.class);

  private final LicenseStore store;
  private final ServerThreads threads;
  private final AdminServer admin;
  private final RegistryServer registry;
  private final UpstreamClient upstream;
  private final Metrics metrics;
  private final Health health;
  private final Portal portal;
  private final Console console;
  private final TagSightings sightings;
  /** Null when {@code cache.tagWatch} is 0. */
  private final TagWatch watch;
  /** The pull audit log's writer; null when {@code audit.enabled} is false. */
  private final PullAuditLog pulls;
  private final UsageMeter usage;
  private final BlobStores blobs;
  private final WebhookService webhooks;
  private final AtomicBoolean closed = new AtomicBoolean();

  private TurnstileServer(LicenseStore store, ServerThreads threads, AdminServer admin, RegistryServer registry,
      UpstreamClient upstream, Metrics metrics, Health health, Portal portal, Console console, TagSightings sightings,
      TagWatch watch, PullAuditLog pulls, BlobStores blobs, WebhookService webhooks, UsageMeter usage) {
    this.usage = usage;
    this.webhooks = webhooks;
    this.portal = portal;
    this.console = console;
    this.sightings = sightings;
    this.watch = watch;
    this.upstream = upstream;
    this.blobs = blobs;
    this.pulls = pulls;
    this.metrics = metrics;
    this.health = health;
    this.store = store;
    this.threads = threads;
    this.admin = admin;
    this.registry = registry;
  }

  /**
   * Opens the store and binds both listeners; on failure everything opened so far is closed.
   *
   * @throws TlsMaterialException when a listener's TLS files cannot be used; nothing is opened then
   */
  public static TurnstileServer start(TurnstileConfig config)
      throws IOException, InterruptedException, TlsMaterialException {
    return start(config, Clock.systemUTC());
  }

  /**
   * As {@link #start(TurnstileConfig)}, with the clock the fair-use limits count their days and
   * months by: a test moves it across a period's end.
   */
  public static TurnstileServer start(TurnstileConfig config, Clock usageClock)
      throws IOException, InterruptedException, TlsMaterialException {
    ListenerTls tls = ListenerTls.load(config);
    // Opening the store (the migrations check, then the snapshot: most of a large store's start)
    // runs on a thread of its own while this one sets up what needs no store.
    FutureTask<LicenseStore> opening = new FutureTask<>(() -> StoreFactory.open(config));
    new Thread(opening, "turnstile-store-open").start();
    SigningKeys fileKeys;
    LicenseKeys licenseKeys;
    try {
      fileKeys = config.token().keysInStore() ? null
          : SigningKeys.load(config.token().signingKey(), config.token().algorithm());
      licenseKeys = config.licenseFiles().keysInStore() ? null : LicenseKeys.load(config.licenseFiles().signingKey());
    } catch (IOException | RuntimeException e) {
      StoreOpening.closeWhenOpened(opening);
      throw e;
    }
    ServerThreads threads = ServerThreads.start();
    EventLoopGroup boss = threads.boss();
    EventLoopGroup workers = threads.workers();
    ExecutorService blocking = threads.blocking();
    Metrics metrics;
    ObjectMapper json;
    LicenseStore store;
    try {
      metrics = new Metrics();
      json = Json.mapper();
      // Loads the native library and runs its self tests now, rather than once the store is open.
      SignatureProvider.nativeOrNull();
      store = StoreOpening.opened(opening);
    } catch (IOException | InterruptedException | RuntimeException | Error e) {
      threads.shutdown();
      StoreOpening.closeWhenOpened(opening);
      throw e;
    }
    UpstreamClient upstream = null;
    TagSightings sightings = null;
    TagWatch watch = null;
    PullAuditLog pulls = null;
    BlobStores blobs = null;
    WebhookService webhooks = null;
    UsageMeter usage = null;
    try {
      Clock clock = Clock.systemUTC();
      MeterRegistry meters = metrics.registry();
      metrics.bindEventLoops(workers);
      StoreMetrics.bind(meters, store, clock);
      // Before any background thread starts: reading the licenses' own limits takes a moment, and a
      // start that fails later (an unreadable endOfLife range) should fail before they have run.
      usage = new UsageMeter(store.usage(), store.webhooks(), new LimitRules(config.applications()),
          new Periods(usageClock), meters, true);
      Health health = new Health(store);
      threads.watch(health.vitals());
      health.vitals().essential("store feed", () -> store.stats().following());
      upstream = new UpstreamClient(config.upstreams(), workers, json, clock,
          new UpstreamMetrics(meters, config.upstreams().stream().map(UpstreamConfig::name).toList()));
      sightings = new TagSightings(store);
      LicenseFiles licenseFiles = LicenseFiles.open(config.licenseFiles(), licenseKeys,
          store.keys(KeyPurpose.LICENSE), () -> store.snapshot().entitlements(), clock);
      AdminApi api = new AdminApi(store, config.applications(),
          new UpstreamVersions(config, new UpstreamTags(upstream, json)), config.server().publicUrl(),
          config.token(), config.webhooks(), json, clock, licenseFiles, usage);
      // After the admin API, which refuses a configuration it cannot read: no watch runs for nothing.
      watch = TagWatch.start(config, new UpstreamTags(upstream, json), sightings);
      webhooks = WebhookService.start(config.webhooks(), store, new WebhookPayloadViews(json, clock, () -> store.snapshot().entitlements()), meters, clock);
      health.vitals().essential("webhook poller", webhooks::running);
      AdminToken adminToken = new AdminToken(config.admin().token());
      String registryHost = PullSecrets.registryHost(config.server().publicUrl());
      OidcSignIn oidc = config.admin().oidc() == null ? null
          : new OidcSignIn(config.admin().oidc(), config.admin().publicUrl(), clock);
      // The one place sign-ins are recorded: a log line and the activity log.
      SignIns signIns = SignIns.recorded(api);
      Console console = new Console(api, adminToken, json,
          config.applications().stream().map(ApplicationConfig::name).toList(), registryHost,
          tls.admin() != null || config.admin().publicUrl() != null
              && "https".equalsIgnoreCase(config.admin().publicUrl().getScheme()),
          Console.DEFAULT_IDLE, clock, oidc, signIns, store.webSessions());
      // The data plane is built after the admin listener starts; bundles wait for it.
      AtomicReference<RegistryBackend> dataPlane = new AtomicReference<>();
      AdminServer admin = AdminServer.start(config.admin().listen(), tls.admin(), boss, workers, api,
          adminToken, blocking, json, new Operations(metrics, health), new ConsoleHandler(console, blocking), store,
          (ctx, request, licenseId, access, done) -> {
            if (dataPlane.get() == null) {
              throw new RegistryException(RegistryError.UPSTREAM_UNAVAILABLE, "Turnstile is still starting");
            }
            return dataPlane.get().bundle(ctx, request, licenseId, access, false, done::finished)::writable;
          });
      pulls = config.audit().enabled() ? new PullAuditLog(store.pulls(), config.audit(), clock) : null;
      if (pulls != null) {
        AuditMetrics.bind(meters, pulls);
        health.vitals().essential("pull audit writer", pulls::writing);
        pulls.onWritten(webhooks::pulled);
      }
      blobs = BlobStores.open(config.upstreams(), meters, SignatureProvider.nativeOrNull());
      KeyRing keys = fileKeys != null ? KeyRing.fixed(fileKeys) : KeyRing.fromStore(store, config.token().algorithm());
      TokenService tokens = new TokenService(keys, config.token(), clock);
      log.info("token signatures by {}", tokens.signatureProvider());
      LoginGuard logins = new LoginGuard(store, config.server().loginThrottle());
      Portal portal = new Portal(store, logins, json, config.server().publicUrl(),
          tls.registry() != null || "https".equalsIgnoreCase(config.server().publicUrl().getScheme()),
          Portal.DEFAULT_IDLE, clock, new UpstreamTags(upstream, json), config.upstreams(), blocking, licenseFiles, usage);
      dataPlane.set(new DataPlane(config, upstream,
          new ClosureCache(upstream, json, config.cache(), meters,
              KeptManifests.open(config.upstreams(), config.cache().staleIfError(), blocking, clock, meters)),
          sightings, json,
          pulls == null ? PullRecorder.OFF : pulls, blobs, usage, licenseFiles));
      RegistryServices services = new RegistryServices(
          new TokenEndpoint(store, logins, tokens, json, clock),
          new RegistryAuthenticator(store, logins, tokens, config.server().baseUrl()),
          dataPlane.get(),
          json,
          new Jwks(tokens, json),
          new RequestMetrics(meters),
          health,
          portal,
          new LicenseCheck(store, logins, licenseFiles, json));
      RegistryServer registry;
      try {
        registry = RegistryServer.start(config.server(), tls.registry(), boss, workers, services);
      } catch (InterruptedException | RuntimeException e) {
        portal.close();
        admin.close();
        throw e;
      }
      log.info("registry listening on {} (public URL {}, {} transport)", registry.address(), config.server().baseUrl(),
          Transport.name());
      log.info("admin API listening on {}", admin.address());
      tls.reloadEvery(workers, blocking);
      health.started();
      return new TurnstileServer(store, threads, admin, registry, upstream, metrics, health, portal, console,
          sightings, watch, pulls, blobs, webhooks, usage);
    } catch (IOException | InterruptedException | RuntimeException e) {
      if (usage != null) {
        usage.close();
      }
      if (watch != null) {
        watch.close();
      }
      if (webhooks != null) {
        webhooks.close();
      }
      if (sightings != null) {
        sightings.close();
      }
      if (upstream != null) {
        upstream.close();
      }
      if (pulls != null) {
        pulls.close();
      }
      threads.shutdown();
      if (blobs != null) {
        blobs.close();
      }
      store.close();
      metrics.close();
      throw e;
    }
  }

  /** The event loops of both listeners' connections, for tests. */
  EventLoopGroup workers() {
    return threads.workers();
  }

  /** What makes the probes fail; the JVM's uncaught exception handler reports to it. */
  public Vitals vitals() {
    return health.vitals();
  }

  public UsageMeter usage() {
    return usage;
  }

  public LicenseStore store() {
    return store;
  }

  /** The vendor console, for tests that start a session as someone other than the admin token's holder. */
  public Console console() {
    return console;
  }

  /** Where tags seen upstream are queued for the store, for tests. */
  public TagSightings sightings() {
    return sightings;
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

  /**
   * Stops gracefully: readiness answers "not ready" from now on, the registry listener stops
   * accepting, connections between requests close, and answers under way (a long pull) get up to
   * {@code grace} to finish; then everything closes. The admin listener stays up until the end, so
   * probes see the stop.
   *
   * @return whether every answer under way finished within {@code grace}
   */
  public boolean stop(Duration grace) throws InterruptedException {
    health.stopping();
    boolean finished = registry.drain(grace);
    // The pull audit log flushes here: every answer has been written and the store is still open.
    close();
    return finished;
  }

  /** Cuts a {@link #stop} short: answers still under way end now, their connections closed. */
  public void stopNow() {
    registry.closeConnections();
  }

  /** Whether a stop began. */
  public boolean isStopping() {
    return health.isStopping();
  }

  /** Closes everything at once, answers under way or not; a second call does nothing. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    health.stopping();
    portal.close();
    registry.close();
    admin.close();
    if (watch != null) {
      watch.close();
    }
    sightings.close();
    upstream.close();
    threads.shutdown();
    // After the event loops: no download is fed any more; those complete land first.
    blobs.close();
    // Before the store: whatever is not delivered stays in the outbox for the next start.
    webhooks.close();
    if (pulls != null) {
      // After the listeners: the last pulls are queued by now, and written before the store closes.
      pulls.close();
    }
    // Likewise the last counts of use go in before the store closes.
    usage.close();
    store.close();
    metrics.close();
  }
}
