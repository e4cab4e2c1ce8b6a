package io.turnstile.proxy.access;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.turnstile.store.License;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Lays a bundle's content out as an OCI image layout in a tar archive: {@code oci-layout}, {@code
 * index.json} (every named manifest, with {@code org.opencontainers.image.ref.name} set to {@code
 * <repository>:<tag>} so that skopeo, oras and crane address it), {@value #MANIFEST_LIST} (the
 * license, versions, repositories and digests the bundle holds), then every manifest and every
 * blob under {@code blobs/sha256/}. Nothing in it depends on the time or the request, so the same
 * content gives the same bytes, which a resumed download relies on. The manifest list is not
 * signed: Turnstile has no license-file signing key yet.
 */
final class BundleArchive {
  /** The file naming what the bundle holds. */
  static final String MANIFEST_LIST = "turnstile-bundle.json";
  static final String REF_NAME = "org.opencontainers.image.ref.name";

  private BundleArchive() {}

  static BundleLayout layout(ObjectMapper json, License license, List<String> versions, BundleContent content) {
    BundleLayout.Builder b = new BundleLayout.Builder()
        .file("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8))
        .file("index.json", bytes(json, index(json, content)))
        .file(MANIFEST_LIST, bytes(json, manifestList(json, license, versions, content)))
        .directory("blobs")
        .directory("blobs/sha256");
    content.manifests().values().forEach(m -> b.file(BundleBlob.path(m.digest()), m.body()));
    content.blobs().values().forEach(b::blob);
    return b.build();
  }

  private static ObjectNode index(ObjectMapper json, BundleContent content) {
    ObjectNode index = json.createObjectNode();
    index.put("schemaVersion", 2);
    index.put("mediaType", "application/vnd.oci.image.index.v1+json");
    ArrayNode manifests = index.putArray("manifests");
    for (BundleContent.Ref r : content.refs()) {
      ObjectNode d = manifests.addObject();
      d.put("mediaType", r.mediaType());
      d.put("digest", r.digest());
      d.put("size", r.size());
      if (r.refName() != null) {
        d.putObject("annotations").put(REF_NAME, r.refName());
      }
    }
    return index;
  }

  private static ObjectNode manifestList(ObjectMapper json, License license, List<String> versions,
      BundleContent content) {
    ObjectNode list = json.createObjectNode();
    list.put("license", license.id().toString());
    list.put("application", license.application());
    versions.forEach(list.putArray("versions")::add);
    ArrayNode refs = list.putArray("manifests");
    for (BundleContent.Ref r : content.refs()) {
      ObjectNode o = refs.addObject();
      o.put("repository", r.repository());
      o.put("tag", r.tag());
      o.put("version", r.version());
      o.put("kind", r.kind());
      o.put("digest", r.digest());
      o.put("mediaType", r.mediaType());
    }
    list.put("manifestCount", content.manifests().size());
    list.put("blobCount", content.blobs().size());
    list.put("blobBytes", content.blobBytes());
    return list;
  }

  private static byte[] bytes(ObjectMapper json, ObjectNode node) {
    try {
      return json.writeValueAsString(node).getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
