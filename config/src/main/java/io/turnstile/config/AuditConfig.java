package io.turnstile.config;

import java.time.Duration;

/**
 * The pull audit log: one record per manifest GET answered 200, written to the store off the
 * request path.
 *
 * @param enabled whether pulls are recorded; default true
 * @param retention how long records are kept; older ones are pruned hourly; default 90d, between 1d
 *     and 3650d
 * @param queueSize records held in memory while waiting to be written; when full, further records
 *     are dropped (and counted), never waited for; default 100,000, between 1,000 and 10,000,000
 * @param pullWindow how long a pull's record stays open after its last request, for the blobs and
 *     platform manifests that follow to be counted in it; default 10s, between 1s and 10m
 */
public record AuditConfig(Boolean enabled, Duration retention, Integer queueSize, Duration pullWindow) {
  public AuditConfig {
    enabled = enabled == null || enabled;
    retention = retention == null ? Duration.ofDays(90) : retention;
    if (retention.compareTo(Duration.ofDays(1)) < 0 || retention.compareTo(Duration.ofDays(3650)) > 0) {
      throw new InvalidValueException("retention", "must be between 1d and 3650d");
    }
    queueSize = queueSize == null ? 100_000 : queueSize;
    if (queueSize < 1_000 || queueSize > 10_000_000) {
      throw new InvalidValueException("queueSize", "must be between 1000 and 10000000");
    }
    pullWindow = pullWindow == null ? Duration.ofSeconds(10) : pullWindow;
    if (pullWindow.compareTo(Duration.ofSeconds(1)) < 0 || pullWindow.compareTo(Duration.ofMinutes(10)) > 0) {
      throw new InvalidValueException("pullWindow", "must be between 1s and 10m");
    }
  }

  public static AuditConfig defaults() {
    return new AuditConfig(null, null, null, null);
  }
}
