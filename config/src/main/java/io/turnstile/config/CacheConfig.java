package io.turnstile.config;

import java.time.Duration;

/**
 * What the proxy remembers about upstream content.
 *
 * @param tagTtl how long a tag's resolved digest is trusted before it is checked again with a HEAD
 *     (a tag that moves upstream is seen within this time); default 60s
 * @param manifestMemory bytes of manifests kept in memory (immutable, by digest); default 64 MiB
 * @param tagWatch how often every configured repository's tags are listed at its upstream, so that
 *     Turnstile records when it first saw each (what licenses that keep the releases made before
 *     their expiry are decided by); default 5m, {@code 0s} turns the watch off (tags are then seen
 *     only when pulled or listed)
 */
public record CacheConfig(Duration tagTtl, Long manifestMemory, Duration tagWatch) {
  public CacheConfig {
    tagTtl = tagTtl == null ? Duration.ofSeconds(60) : tagTtl;
    if (tagTtl.isNegative() || tagTtl.compareTo(Duration.ofHours(24)) > 0) {
      throw new InvalidValueException("tagTtl", "must be between 0s and 24h");
    }
    manifestMemory = manifestMemory == null ? 64L * 1024 * 1024 : manifestMemory;
    if (manifestMemory < 0) {
      throw new InvalidValueException("manifestMemory", "must not be negative");
    }
    tagWatch = tagWatch == null ? Duration.ofMinutes(5) : tagWatch;
    if (tagWatch.isNegative() || tagWatch.compareTo(Duration.ofHours(24)) > 0) {
      throw new InvalidValueException("tagWatch", "must be between 0s and 24h");
    }
  }

  public CacheConfig(Duration tagTtl, Long manifestMemory) {
    this(tagTtl, manifestMemory, null);
  }

  public static CacheConfig defaults() {
    return new CacheConfig(null, null, null);
  }
}
