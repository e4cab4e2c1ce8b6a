package io.turnstile.proxy.access;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * What a manifest points at: child manifests (image index / manifest list), blobs (config and
 * layers, artifact blobs, schema 1 layers).
 */
public record ManifestInfo(String mediaType, Set<String> children, Set<String> blobs) {
  /** Every media type a manifest may have, for the Accept header of closure fetches. */
  public static final String ACCEPT_ALL = String.join(", ",
      "application/vnd.oci.image.index.v1+json",
      "application/vnd.docker.distribution.manifest.list.v2+json",
      "application/vnd.oci.image.manifest.v1+json",
      "application/vnd.docker.distribution.manifest.v2+json",
      "application/vnd.oci.artifact.manifest.v1+json",
      "application/vnd.docker.distribution.manifest.v1+prettyjws;q=0.5",
      "application/vnd.docker.distribution.manifest.v1+json;q=0.5");

  public static ManifestInfo parse(ObjectMapper json, byte[] body, String contentType) throws IOException {
    JsonNode root = json.readTree(body);
    if (root == null || !root.isObject()) {
      throw new IOException("manifest is not a JSON object");
    }
    String mediaType = root.path("mediaType").asText(contentType == null ? "" : contentType);
    Set<String> children = new LinkedHashSet<>();
    for (JsonNode m : root.path("manifests")) {
      addDigest(children, m);
    }
    Set<String> blobs = new LinkedHashSet<>();
    addDigest(blobs, root.path("config"));
    for (JsonNode l : root.path("layers")) {
      addDigest(blobs, l);
    }
    for (JsonNode b : root.path("blobs")) {
      addDigest(blobs, b);
    }
    for (JsonNode f : root.path("fsLayers")) {
      String sum = f.path("blobSum").asText(null);
      if (sum != null) {
        blobs.add(sum);
      }
    }
    return new ManifestInfo(mediaType, Set.copyOf(children), Set.copyOf(blobs));
  }

  private static void addDigest(Set<String> into, JsonNode descriptor) {
    String d = descriptor.path("digest").asText(null);
    if (d != null && !d.isEmpty()) {
      into.add(d);
    }
  }
}
