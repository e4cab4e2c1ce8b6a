package io.turnstile.proxy.access;

/** A manifest kept in memory by digest: its exact bytes, content type and what it points at. */
public record CachedManifest(String digest, String contentType, byte[] body, ManifestInfo info) {
  /** Whether a client sending {@code accept} can take this manifest. */
  public boolean acceptableTo(String accept) {
    if (accept == null || accept.isBlank()) {
      return true;
    }
    for (String part : accept.split(",")) {
      String type = part.split(";")[0].trim();
      if (type.equals("*/*") || type.equals(contentType)) {
        return true;
      }
    }
    return false;
  }
}
