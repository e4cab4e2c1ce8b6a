package io.turnstile.config;

import java.time.Duration;

/**
 * What the proxy remembers about upstream content.
 *
 * @param tagTtl how long a tag's resolved digest is trusted before it is checked again with a HEAD
 *     (a tag that moves upstream is seen within this time); default 60s
 * @param manifestMemory bytes of manifests kept in memory (immutable, by digest); default 64 MiB
 */
public record CacheConfig(Duration tagTtl, Long manifestMemory) {
  public CacheConfig {
    tagTtl = tagTtl == null ? Duration.ofSeconds(60) : tagTtl;
    if (tagTtl.isNegative() || tagTtl.compareTo(Duration.ofHours(24)) > 0) {
      throw new InvalidValueException("tagTtl", "must be between 0s and 24h");
    }
    manifestMemory = manifestMemory == null ? 64L * 1024 * 1024 : manifestMemory;
    if (manifestMemory < 0) {
      throw new InvalidValueException("manifestMemory", "must not be negative");
    }
  }

  public static CacheConfig defaults() {
    return new CacheConfig(null, null);
  }
}
