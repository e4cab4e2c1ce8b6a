package io.turnstile.config;

/**
 * What Turnstile keeps of one upstream's content.
 *
 * @param blobs the blob cache; default none: every blob is streamed from the upstream
 */
public record UpstreamCacheConfig(BlobCacheConfig blobs) {
  public static UpstreamCacheConfig none() {
    return new UpstreamCacheConfig(null);
  }
}
