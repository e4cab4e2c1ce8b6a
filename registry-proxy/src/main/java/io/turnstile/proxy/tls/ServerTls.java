package io.turnstile.proxy.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.turnstile.config.TlsConfig;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS for one listener, from PEM files that may be replaced while Turnstile runs (cert-manager
 * renewing a certificate). Every {@link TlsConfig#reloadInterval()} the files are read on the
 * blocking executor; when their contents changed and load, the new certificate is swapped in at
 * once: connections accepted afterwards use it, open ones keep the one they shook hands with.
 * Changed files that do not load (a key that does not match, a half-written file) are logged and
 * the current certificate stays.
 *
 * <p>TLS 1.2 and 1.3 only. ALPN offers {@code http/1.1} and nothing else. HTTP/2 is left out on
 * purpose: the public frontend serves one request at a time per connection and reads with
 * AUTO_READ off, pausing the client's socket while an answer streams; that is where its
 * backpressure, request deadlines and per-connection caps come from. HTTP/2 multiplexes many
 * streams on one connection, so each of those would have to move to the stream level
 * (Http2MultiplexHandler child channels, per-stream flow control, a concurrent-stream cap); and
 * registry clients gain little from it, since they pull layers over parallel connections.
 */
public final class ServerTls {
  private static final Logger log = LoggerFactory.getLogger(ServerTls.class);
  private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
  private static final ApplicationProtocolConfig ALPN = new ApplicationProtocolConfig(
      ApplicationProtocolConfig.Protocol.ALPN,
      ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
      ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
      ApplicationProtocolNames.HTTP_1_1);

  /** What new connections use: the context and the certificate it presents. */
  private record Active(SslContext context, X509Certificate certificate) {}

  private final String field;
  private final TlsConfig config;
  private volatile Active active;
  /** The files as last read, loaded or not, so that files that failed are not retried until they change. */
  private TlsFiles seen;
  private String lastFailure;

  private ServerTls(String field, TlsConfig config, TlsFiles files, Active active) {
    this.field = field;
    this.config = config;
    this.seen = files;
    this.active = active;
  }

  /**
   * Reads and checks the files, and builds the first context.
   *
   * @param field where {@code config} sits in the configuration, e.g. {@code server.tls}; errors
   *     name its fields
   * @throws TlsMaterialException when a file is missing or unreadable, is not PEM, or the key does
   *     not belong to the certificate
   */
  public static ServerTls load(String field, TlsConfig config) throws TlsMaterialException {
    Objects.requireNonNull(config, "config");
    TlsFiles files = TlsFiles.read(field, config);
    ServerTls tls = new ServerTls(field, config, files, activate(files));
    log.info("{}: serving {}", field, describe(tls.active.certificate()));
    warnWhenOutOfDate(field, tls.active.certificate());
    return tls;
  }

  private static Active activate(TlsFiles files) throws TlsMaterialException {
    TlsMaterial material = TlsMaterial.parse(files);
    try {
      SslContext context = SslContextBuilder
          .forServer(material.key(), material.chain().toArray(new X509Certificate[0]))
          .protocols(PROTOCOLS)
          .applicationProtocolConfig(ALPN)
          .build();
      return new Active(context, material.certificate());
    } catch (SSLException | IllegalArgumentException e) {
      throw new TlsMaterialException(files.field() + ".certificate",
          files.config().certificate() + ": cannot be used for TLS: " + e.getMessage());
    }
  }

  /** A handler for a new connection, with the certificate in use now. */
  public SslHandler newHandler(ByteBufAllocator alloc, Duration handshakeTimeout) {
    SslHandler handler = active.context().newHandler(alloc);
    handler.setHandshakeTimeout(handshakeTimeout.toMillis(), TimeUnit.MILLISECONDS);
    return handler;
  }

  /** The certificate new connections are given. */
  public X509Certificate certificate() {
    return active.certificate();
  }

  /**
   * Checks the files every {@link TlsConfig#reloadInterval()}: {@code timer} keeps the time and
   * {@code blocking} reads the files. Stops when either shuts down, or when the future is
   * cancelled.
   */
  public ScheduledFuture<?> reloadEvery(ScheduledExecutorService timer, Executor blocking) {
    long millis = config.reloadInterval().toMillis();
    return timer.scheduleWithFixedDelay(() -> {
      try {
        blocking.execute(this::reloadIfChanged);
      } catch (RejectedExecutionException busyOrStopping) {
        // The next tick tries again.
      }
    }, millis, millis, TimeUnit.MILLISECONDS);
  }

  /**
   * Reads the files and, when they changed and load, makes them the certificate for new
   * connections. Blocks on file reads: never call it on an event loop.
   *
   * @return whether a new certificate is now in use
   */
  public synchronized boolean reloadIfChanged() {
    TlsFiles files;
    try {
      files = TlsFiles.read(field, config);
    } catch (TlsMaterialException e) {
      // Mid-rotation a file can be missing for a moment; say so once, keep serving.
      failed(e);
      return false;
    }
    if (files.sameAs(seen)) {
      return false;
    }
    seen = files;
    Active next;
    try {
      next = activate(files);
    } catch (TlsMaterialException e) {
      failed(e);
      return false;
    }
    active = next;
    lastFailure = null;
    log.info("{}: files changed, new connections get {}", field, describe(next.certificate()));
    warnWhenOutOfDate(field, next.certificate());
    return true;
  }

  private void failed(TlsMaterialException e) {
    if (!e.getMessage().equals(lastFailure)) {
      lastFailure = e.getMessage();
      log.warn("{}; still serving {}", e.getMessage(), describe(active.certificate()));
    }
  }

  private static String describe(X509Certificate c) {
    return "the certificate for " + c.getSubjectX500Principal().getName() + " (serial "
        + c.getSerialNumber().toString(16) + ", valid until " + c.getNotAfter().toInstant() + ")";
  }

  private static void warnWhenOutOfDate(String field, X509Certificate c) {
    Instant now = Instant.now();
    if (now.isAfter(c.getNotAfter().toInstant())) {
      log.warn("{}: the certificate expired at {}; clients will refuse it", field, c.getNotAfter().toInstant());
    } else if (now.isBefore(c.getNotBefore().toInstant())) {
      log.warn("{}: the certificate is not valid before {}; clients will refuse it until then", field,
          c.getNotBefore().toInstant());
    }
  }
}
