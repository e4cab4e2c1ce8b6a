package io.turnstile.config;

import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * The public (registry) listener.
 *
 * @param listen where to listen; default {@code 127.0.0.1:8080}
 * @param publicUrl the URL clients use to reach the proxy; the token realm is built from it; default
 *     {@code http://<listen>}, or {@code https://<listen>} with {@code tls}
 * @param maxConnections cap on concurrent client connections; default 4096
 * @param maxConnectionsPerAddress cap on concurrent client connections from one client address;
 *     default 256. It counts the TCP peer when the connection is accepted, before any header is
 *     read: behind a proxy, that is the proxy
 * @param idleTimeout a client connection with nothing read or written for this long is closed, even
 *     mid-answer; default 5m
 * @param requestHeaderTimeout deadline for a complete request head (and the token endpoint's small
 *     form body), counted from the connection's start or the request's first byte; answered with 408
 *     and a close; default 10s
 * @param keepAliveTimeout a kept-alive connection waiting for its next request is closed after this;
 *     default 60s
 * @param maxHeaderSize largest request line plus headers accepted, in bytes; default 16384
 * @param loginThrottle how failed logins are slowed down; default {@link LoginThrottleConfig#defaults()}
 * @param tls TLS on this listener; default none (plain HTTP)
 * @param trustedProxies the proxies (IPv4 and IPv6 CIDR blocks) whose {@code X-Forwarded-For} is
 *     believed: for a connection from one of them, the client is the right-most forwarded address
 *     that is not itself a trusted proxy, as nginx's realip module decides; the login throttle keys
 *     on that address. Default none: the client is always the TCP peer
 * @param shutdownGrace on SIGTERM, how long pulls under way may take to finish after the listener
 *     stops accepting; connections still open then are closed; default 30s
 */
public record ServerConfig(
    HostPort listen, URI publicUrl, Integer maxConnections, Integer maxConnectionsPerAddress, Duration idleTimeout,
    Duration requestHeaderTimeout, Duration keepAliveTimeout, Integer maxHeaderSize,
    LoginThrottleConfig loginThrottle, TlsConfig tls, List<Cidr> trustedProxies, Duration shutdownGrace) {
  public ServerConfig {
    listen = listen == null ? HostPort.parse("127.0.0.1:8080") : listen;
    publicUrl = publicUrl == null ? URI.create((tls == null ? "http://" : "https://") + listen) : publicUrl;
    Check.httpUrl("publicUrl", publicUrl);
    if (publicUrl.getRawPath() != null && publicUrl.getRawPath().length() > 1) {
      throw new InvalidValueException("publicUrl", "must not have a path (registries live at /v2/)");
    }
    maxConnections = maxConnections == null ? 4096 : maxConnections;
    if (maxConnections < 1) {
      throw new InvalidValueException("maxConnections", "must be at least 1");
    }
    maxConnectionsPerAddress = maxConnectionsPerAddress == null ? 256 : maxConnectionsPerAddress;
    if (maxConnectionsPerAddress < 1) {
      throw new InvalidValueException("maxConnectionsPerAddress", "must be at least 1");
    }
    idleTimeout = idleTimeout == null ? Duration.ofMinutes(5) : idleTimeout;
    Check.positive("idleTimeout", idleTimeout);
    requestHeaderTimeout = requestHeaderTimeout == null ? Duration.ofSeconds(10) : requestHeaderTimeout;
    Check.positive("requestHeaderTimeout", requestHeaderTimeout);
    keepAliveTimeout = keepAliveTimeout == null ? Duration.ofSeconds(60) : keepAliveTimeout;
    Check.positive("keepAliveTimeout", keepAliveTimeout);
    maxHeaderSize = maxHeaderSize == null ? 16384 : maxHeaderSize;
    if (maxHeaderSize < 1024 || maxHeaderSize > 1 << 20) {
      throw new InvalidValueException("maxHeaderSize", "must be between 1024 and 1048576");
    }
    loginThrottle = loginThrottle == null ? LoginThrottleConfig.defaults() : loginThrottle;
    trustedProxies = Check.list(trustedProxies);
    shutdownGrace = shutdownGrace == null ? Duration.ofSeconds(30) : shutdownGrace;
    if (shutdownGrace.isNegative() || shutdownGrace.compareTo(Duration.ofHours(1)) > 0) {
      throw new InvalidValueException("shutdownGrace", "must be between 0s and 1h");
    }
  }

  /** Every default. */
  public static ServerConfig defaults() {
    return new ServerConfig(null, null, null, null, null, null, null, null, null, null, null, null);
  }

  /** The public URL without a trailing slash, for building absolute links. */
  public String baseUrl() {
    String s = publicUrl.toString();
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }
}
