package io.turnstile.config;

import java.net.URI;
import java.time.Duration;

/**
 * The public (registry) listener.
 *
 * @param listen where to listen; default {@code 127.0.0.1:8080}
 * @param publicUrl the URL clients use to reach the proxy; the token realm is built from it; default
 *     {@code http://<listen>}
 * @param maxConnections cap on concurrent client connections; default 4096
 * @param idleTimeout a client connection idle this long is closed; default 5m
 * @param maxHeaderSize largest request line plus headers accepted, in bytes; default 16384
 */
public record ServerConfig(
    HostPort listen, URI publicUrl, Integer maxConnections, Duration idleTimeout, Integer maxHeaderSize) {
  public ServerConfig {
    listen = listen == null ? HostPort.parse("127.0.0.1:8080") : listen;
    publicUrl = publicUrl == null ? URI.create("http://" + listen) : publicUrl;
    Check.httpUrl("publicUrl", publicUrl);
    if (publicUrl.getRawPath() != null && publicUrl.getRawPath().length() > 1) {
      throw new InvalidValueException("publicUrl", "must not have a path (registries live at /v2/)");
    }
    maxConnections = maxConnections == null ? 4096 : maxConnections;
    if (maxConnections < 1) {
      throw new InvalidValueException("maxConnections", "must be at least 1");
    }
    idleTimeout = idleTimeout == null ? Duration.ofMinutes(5) : idleTimeout;
    maxHeaderSize = maxHeaderSize == null ? 16384 : maxHeaderSize;
    if (maxHeaderSize < 1024 || maxHeaderSize > 1 << 20) {
      throw new InvalidValueException("maxHeaderSize", "must be between 1024 and 1048576");
    }
  }

  /** The public URL without a trailing slash, for building absolute links. */
  public String baseUrl() {
    String s = publicUrl.toString();
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }
}
