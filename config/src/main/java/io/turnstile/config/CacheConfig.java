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
 * @param staleIfError how long after the upstream last confirmed a tag's digest Turnstile may still
 *     answer with it, and with the manifest and blobs it keeps on disk, while the upstream is
 *     unreachable, times out, or answers 5xx or 429 (upstreams with {@code cache.manifests} only);
 *     default 24h, {@code 0s} turns it off, at most 365d
 */
public record CacheConfig(Duration tagTtl, Long manifestMemory, Duration tagWatch, Duration staleIfError) {
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
    staleIfError = staleIfError == null ? Duration.ofHours(24) : staleIfError;
    if (staleIfError.isNegative() || staleIfError.compareTo(Duration.ofDays(365)) > 0) {
      throw new InvalidValueException("staleIfError", "must be between 0s and 365d");
    }
  }

  public CacheConfig(Duration tagTtl, Long manifestMemory, Duration tagWatch) {
    this(tagTtl, manifestMemory, tagWatch, null);
  }

  public CacheConfig(Duration tagTtl, Long manifestMemory) {
    this(tagTtl, manifestMemory, null, null);
  }

  public static CacheConfig defaults() {
    return new CacheConfig(null, null, null, null);
  }
}
