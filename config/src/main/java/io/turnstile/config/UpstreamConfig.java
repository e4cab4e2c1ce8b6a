package io.turnstile.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One of the vendor's private registries.
 *
 * @param name how repositories refer to it
 * @param url base URL of the registry, e.g. {@code https://ghcr.io}
 * @param username default credentials for pulls (a license may carry its own); optional
 * @param password secret for {@code username}; write it as {@code ${ENV_VAR}}
 * @param blobRedirects {@code follow} (default) or {@code passthrough}
 * @param connectTimeout default 5s
 * @param readTimeout longest wait for the next byte from the upstream; default 30s
 * @param maxConnections most connections to this upstream in use at once, over all event loops
 *     (a blob download holds one for its whole length); default 64
 * @param connectionWait longest a call waits for one of those connections; default 60s
 * @param trustStore PKCS#12 trust store for TLS; default the JDK's
 * @param trustStorePassword password of {@code trustStore}
 * @param cache what is kept of this upstream's content; default nothing ({@link UpstreamCacheConfig#none()})
 */
public record UpstreamConfig(
    String name,
    URI url,
    String username,
    String password,
    BlobRedirects blobRedirects,
    Duration connectTimeout,
    Duration readTimeout,
    Integer maxConnections,
    Duration connectionWait,
    Path trustStore,
    String trustStorePassword,
    UpstreamCacheConfig cache) {
  public UpstreamConfig {
    Check.simpleName("name", name);
    Check.httpUrl("url", url);
    if ((username == null) != (password == null)) {
      throw new InvalidValueException(
          username == null ? "username" : "password", "username and password go together");
    }
    blobRedirects = blobRedirects == null ? BlobRedirects.FOLLOW : blobRedirects;
    connectTimeout = connectTimeout == null ? Duration.ofSeconds(5) : connectTimeout;
    readTimeout = readTimeout == null ? Duration.ofSeconds(30) : readTimeout;
    maxConnections = maxConnections == null ? 64 : maxConnections;
    if (maxConnections < 1) {
      throw new InvalidValueException("maxConnections", "must be at least 1");
    }
    connectionWait = connectionWait == null ? Duration.ofSeconds(60) : connectionWait;
    if (connectionWait.isNegative() || connectionWait.isZero()) {
      throw new InvalidValueException("connectionWait", "must be positive");
    }
    cache = cache == null ? UpstreamCacheConfig.none() : cache;
  }

  /** The base URL without a trailing slash. */
  public String baseUrl() {
    String s = url.toString();
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }

  @Override
  public String toString() {
    return "UpstreamConfig[name=" + name + ", url=" + url + ", username=" + username + ", password=***]";
  }
}
