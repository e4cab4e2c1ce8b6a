package io.turnstile.config;

/**
 * What Turnstile keeps of one upstream's content.
 *
 * @param blobs the blob cache; default none: every blob is streamed from the upstream
 * @param manifests whether the manifests served, and the digests their tags last had, are kept on
 *     disk in {@code blobs.directory}/manifests, to answer from while the upstream fails (see
 *     {@link CacheConfig#staleIfError()}); default on wherever {@code blobs} is set, and it needs
 *     {@code blobs}
 */
public record UpstreamCacheConfig(BlobCacheConfig blobs, Boolean manifests) {
  public UpstreamCacheConfig {
    if (manifests == null) {
      manifests = blobs != null;
    } else if (manifests && blobs == null) {
      throw new InvalidValueException("manifests", "needs cache.blobs: manifests are kept in its directory");
    }
  }

  public UpstreamCacheConfig(BlobCacheConfig blobs) {
    this(blobs, null);
  }

  public static UpstreamCacheConfig none() {
    return new UpstreamCacheConfig(null, null);
  }
}
