package io.turnstile.proxy.access;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.turnstile.proxy.licensing.BundleVerifier;
import io.turnstile.proxy.licensing.LicenseFiles;
import io.turnstile.store.License;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Lays a bundle's content out as an OCI image layout in a tar archive: {@code oci-layout}, {@code
 * index.json} (every named manifest, with {@code org.opencontainers.image.ref.name} set to {@code
 * <repository>:<tag>} so that skopeo, oras and crane address it), {@value #MANIFEST_LIST} (the
 * license, versions, repositories and digests the bundle holds, with the digest of {@code
 * index.json} and of every file under {@code blobs/sha256/}), {@value #SIGNED_LIST} (that list
 * signed with the license-signing key, its payload exactly the list's bytes), then every manifest
 * and every blob under {@code blobs/sha256/}.
 *
 * <p>Nothing in it depends on the time or the request, so the same content gives the same bytes,
 * which a resumed download relies on. The signature is deterministic ({@link
 * LicenseFiles#signBundle}) and sits in the first few kilobytes: a download cut and resumed, even
 * on another replica, gets the same signature, and the {@code ETag} (a hash of the layout, the
 * signature included) changes only with the content or the signing key.
 */
final class BundleArchive {
  /** The file naming what the bundle holds. */
  static final String MANIFEST_LIST = BundleVerifier.LIST;
  /** The manifest list signed: a compact JWS whose payload is exactly {@value #MANIFEST_LIST}. */
  static final String SIGNED_LIST = BundleVerifier.SIGNED_LIST;
  static final String REF_NAME = "org.opencontainers.image.ref.name";

  private BundleArchive() {}

  /** The layout of {@code content}, its manifest list signed by {@code files}. */
  static BundleLayout layout(ObjectMapper json, LicenseFiles files, License license, List<String> versions,
      BundleContent content) {
    byte[] index = bytes(json, index(json, content));
    byte[] list = bytes(json, manifestList(json, files.issuer(), license, versions, content, index));
    BundleLayout.Builder b = new BundleLayout.Builder()
        .file("oci-layout", BundleVerifier.OCI_LAYOUT)
        .file("index.json", index)
        .file(MANIFEST_LIST, list)
        .file(SIGNED_LIST, files.signBundle(list).getBytes(StandardCharsets.US_ASCII))
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

  /**
   * The manifest list, also a JWT claims set: {@code iss} and {@code sub} (the license), so that a
   * JWT library checks the issuer as it does for a license file.
   */
  private static ObjectNode manifestList(ObjectMapper json, String issuer, License license, List<String> versions,
      BundleContent content, byte[] index) {
    ObjectNode list = json.createObjectNode();
    list.put("iss", issuer);
    list.put("sub", license.id().toString());
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
    list.putObject("index").put("digest", "sha256:" + ClosureCache.sha256(index)).put("size", index.length);
    // Every file under blobs/sha256/, manifests included, by digest: what a verifier hashes.
    SortedMap<String, Long> files = new TreeMap<>();
    content.manifests().values().forEach(m -> files.put(m.digest(), (long) m.body().length));
    content.blobs().values().forEach(bl -> files.put(bl.digest(), bl.size()));
    ArrayNode blobs = list.putArray("blobs");
    files.forEach((digest, size) -> blobs.addObject().put("digest", digest).put("size", size));
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
