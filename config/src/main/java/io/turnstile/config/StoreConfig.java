package io.turnstile.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;

/**
 * Where licenses are kept.
 *
 * @param url JDBC URL; default {@code jdbc:sqlite:data/turnstile.db}; {@code jdbc:postgresql://...}
 *     for several replicas sharing one store
 * @param username database user (PostgreSQL)
 * @param password database password (PostgreSQL)
 * @param encryptionKey base64 of 32 bytes; encrypts upstream credentials kept in the store. When
 *     absent, the key is read from {@code encryptionKeyFile}, which is generated on first start.
 * @param encryptionKeyFile default {@code data/store.key} (mode 0600)
 * @param maxPoolSize connection pool size; default 4 (SQLite has one writer anyway)
 * @param pollInterval with PostgreSQL, how often a replica checks the event sequence for edits made
 *     elsewhere when no notification came; default 2s
 */
public record StoreConfig(
    String url,
    String username,
    String password,
    String encryptionKey,
    Path encryptionKeyFile,
    Integer maxPoolSize,
    Duration pollInterval) {
  public StoreConfig {
    url = url == null ? "jdbc:sqlite:data/turnstile.db" : url;
    if (!url.startsWith("jdbc:sqlite:") && !url.startsWith("jdbc:postgresql:")) {
      throw new InvalidValueException("url", "must be a jdbc:sqlite: or jdbc:postgresql: URL");
    }
    if (encryptionKey != null) {
      byte[] key;
      try {
        key = Base64.getDecoder().decode(encryptionKey.trim());
      } catch (IllegalArgumentException e) {
        throw new InvalidValueException("encryptionKey", "is not valid base64");
      }
      if (key.length != 32) {
        throw new InvalidValueException(
            "encryptionKey", "must be base64 of 32 bytes (got " + key.length + " bytes)");
      }
    }
    encryptionKeyFile = encryptionKeyFile == null ? Path.of("data/store.key") : encryptionKeyFile;
    maxPoolSize = maxPoolSize == null ? 4 : maxPoolSize;
    if (maxPoolSize < 1 || maxPoolSize > 100) {
      throw new InvalidValueException("maxPoolSize", "must be between 1 and 100");
    }
    pollInterval = pollInterval == null ? Duration.ofSeconds(2) : pollInterval;
    if (pollInterval.compareTo(Duration.ofMillis(100)) < 0 || pollInterval.compareTo(Duration.ofMinutes(5)) > 0) {
      throw new InvalidValueException("pollInterval", "must be between 100ms and 5m");
    }
  }

  /** A store with the default poll interval. */
  public StoreConfig(String url, String username, String password, String encryptionKey, Path encryptionKeyFile,
      Integer maxPoolSize) {
    this(url, username, password, encryptionKey, encryptionKeyFile, maxPoolSize, null);
  }

  /** Whether this is a PostgreSQL store (several replicas may share it). */
  public boolean postgres() {
    return url.startsWith("jdbc:postgresql:");
  }

  /** The defaults: SQLite under {@code data/}. */
  public static StoreConfig defaults() {
    return new StoreConfig(null, null, null, null, null, null, null);
  }

  @Override
  public String toString() {
    return "StoreConfig[url=" + url + ", username=" + username + ", password=***, encryptionKey=***]";
  }
}
