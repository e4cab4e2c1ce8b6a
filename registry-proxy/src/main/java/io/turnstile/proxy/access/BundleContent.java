package io.turnstile.proxy.access;

import java.util.List;
import java.util.SortedMap;

/**
 * What a bundle holds, found before its first byte: the manifests it names, every manifest (in
 * memory, verified against its digest) and every blob (streamed later) they reach, each once.
 *
 * @param refs the named manifests, in the order the bundle lists them
 * @param manifests every manifest by digest, sorted
 * @param blobs every blob by digest, sorted
 */
record BundleContent(List<Ref> refs, SortedMap<String, CachedManifest> manifests,
    SortedMap<String, BundleBlob> blobs) {

  /**
   * A manifest the bundle names in {@code index.json}.
   *
   * @param repository the customer-facing repository name, from the configuration
   * @param tag the tag it is named by: a granted tag or a cosign-style signature tag; null for a
   *     referrer found through the referrers API, which has none
   * @param version the licensed version it belongs to
   * @param kind {@code image} (an image, index or chart), {@code signature} (a cosign-style tag) or
   *     {@code referrer}
   */
  record Ref(String repository, String tag, String version, String digest, String mediaType, long size, String kind) {
    /** The name standard tools address it by ({@code org.opencontainers.image.ref.name}); null for none. */
    String refName() {
      return tag == null ? null : repository + ":" + tag;
    }
  }

  /** Bytes of the blobs, which are streamed. */
  long blobBytes() {
    return blobs.values().stream().mapToLong(BundleBlob::size).sum();
  }
}
