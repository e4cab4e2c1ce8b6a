package io.turnstile.proxy.licensing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.ParseException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Checks an air-gap bundle offline, as {@code turnstile bundle verify} does: reads the tar once,
 * front to back, hashing every file under {@code blobs/sha256/} as it passes (so memory stays flat
 * whatever the size), then checks that {@value #SIGNED_LIST} is an ES256 JWS of {@code typ} {@code
 * turnstile-bundle+jwt} by a key of the set (by {@code kid}); that {@value #LIST} is exactly its
 * payload; that {@code index.json} has the digest and size the signed list states; and that the
 * files under {@code blobs/sha256/} are exactly the list's {@code blobs}, each matching its digest
 * and size. Any other file, a second copy of one, or a name outside the layout is refused. So every
 * byte an installer reads is covered by the signature.
 */
public final class BundleVerifier {
  /** The manifest list, as written in the bundle. */
  public static final String LIST = "turnstile-bundle.json";
  /** The signed manifest list: a compact JWS whose payload is {@value #LIST}. */
  public static final String SIGNED_LIST = "turnstile-bundle.jwt";
  /** Most bytes of the small files read into memory (everything but the blobs). */
  private static final int MAX_SMALL = 64 << 20;
  /** The one {@code oci-layout} a bundle holds: fixed, so it needs no place in the signed list. */
  public static final byte[] OCI_LAYOUT = "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8);
  private static final Pattern BLOB = Pattern.compile("blobs/sha256/([a-f0-9]{64})");

  private final JWKSet keys;
  private final ObjectMapper json = new ObjectMapper();

  /** A verifier of bundles signed by one of {@code keys} (the published license-signing keys). */
  public BundleVerifier(JWKSet keys) {
    this.keys = keys;
  }

  /**
   * What a verified bundle holds.
   *
   * @param kid the key that signed it
   * @param list the signed manifest list
   * @param files the files under {@code blobs/sha256/}
   * @param bytes their bytes
   */
  public record Verified(String kid, JsonNode list, int files, long bytes) {}

  /** A bundle that does not verify; the message says why. */
  public static final class InvalidBundleException extends Exception {
    public InvalidBundleException(String message) {
      super(message);
    }
  }

  /**
   * Verifies the bundle read from {@code tar}.
   *
   * @throws InvalidBundleException saying what does not match
   * @throws IOException when it cannot be read
   */
  public Verified verify(InputStream tar) throws InvalidBundleException, IOException {
    Map<String, byte[]> small = new HashMap<>();
    Map<String, Long> blobs = new TreeMap<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(tar)) {
      TarArchiveEntry e;
      while ((e = in.getNextEntry()) != null) {
        String name = e.getName();
        if (e.isDirectory()) {
          if (!name.equals("blobs/") && !name.equals("blobs/sha256/")) {
            throw new InvalidBundleException("it holds a directory outside the layout: " + printable(name));
          }
          continue;
        }
        var blob = BLOB.matcher(name);
        if (blob.matches()) {
          String digest = "sha256:" + blob.group(1);
          if (blobs.containsKey(digest)) {
            throw new InvalidBundleException("it holds " + name + " twice");
          }
          long size = hashMatches(in, blob.group(1), name);
          blobs.put(digest, size);
        } else if (name.equals("oci-layout") || name.equals("index.json") || name.equals(LIST)
            || name.equals(SIGNED_LIST)) {
          if (small.containsKey(name) || e.getSize() > MAX_SMALL) {
            throw new InvalidBundleException("it holds " + name + " twice, or too large");
          }
          small.put(name, in.readAllBytes());
        } else {
          throw new InvalidBundleException("it holds a file the signed list does not name: " + printable(name));
        }
      }
    }
    for (String needed : new String[] {SIGNED_LIST, LIST, "index.json", "oci-layout"}) {
      if (!small.containsKey(needed)) {
        throw new InvalidBundleException("it has no " + needed + (needed.equals(SIGNED_LIST)
            ? " (a bundle made before bundles were signed, or not a Turnstile bundle)" : ""));
      }
    }
    JWSObject jws = signed(new String(small.get(SIGNED_LIST), StandardCharsets.UTF_8).strip());
    byte[] payload = jws.getPayload().toBytes();
    if (!Arrays.equals(payload, small.get(LIST))) {
      throw new InvalidBundleException(LIST + " differs from the list " + SIGNED_LIST + " signs");
    }
    JsonNode list = json.readTree(payload);
    checkIndex(list, small.get("index.json"));
    checkBlobs(list, blobs);
    if (!Arrays.equals(small.get("oci-layout"), OCI_LAYOUT)) {
      throw new InvalidBundleException("its oci-layout is not the one Turnstile writes");
    }
    return new Verified(jws.getHeader().getKeyID(), list, blobs.size(),
        blobs.values().stream().mapToLong(Long::longValue).sum());
  }

  /** The JWS when it is an ES256 bundle list signed by a key of the set. */
  private JWSObject signed(String text) throws InvalidBundleException {
    JWSObject jws;
    try {
      jws = JWSObject.parse(text);
    } catch (ParseException e) {
      throw new InvalidBundleException(SIGNED_LIST + " is not a compact JWS: " + e.getMessage());
    }
    if (!JWSAlgorithm.ES256.equals(jws.getHeader().getAlgorithm())) {
      throw new InvalidBundleException(SIGNED_LIST + " is signed with " + jws.getHeader().getAlgorithm()
          + ", not ES256");
    }
    if (!LicenseFiles.BUNDLE_TYPE.equals(jws.getHeader().getType())) {
      throw new InvalidBundleException(SIGNED_LIST + " has typ " + jws.getHeader().getType() + ", not "
          + LicenseFiles.BUNDLE_TYPE);
    }
    String kid = jws.getHeader().getKeyID();
    JWK key = kid == null ? null : keys.getKeyByKeyId(kid);
    if (!(key instanceof ECKey ec)) {
      throw new InvalidBundleException("no key of the set has the id " + SIGNED_LIST + " names (" + kid + ")");
    }
    try {
      if (!jws.verify(new ECDSAVerifier(ec.toPublicJWK()))) {
        throw new InvalidBundleException("the signature of " + SIGNED_LIST + " does not verify with key " + kid);
      }
    } catch (JOSEException e) {
      throw new InvalidBundleException("the signature of " + SIGNED_LIST + " cannot be checked: " + e.getMessage());
    }
    return jws;
  }

  private static void checkIndex(JsonNode list, byte[] index) throws InvalidBundleException {
    String digest = list.path("index").path("digest").asText("");
    if (!digest.equals(sha256(index)) || list.path("index").path("size").asLong(-1) != index.length) {
      throw new InvalidBundleException("index.json does not match the digest the signed list states (" + digest + ")");
    }
  }

  private static void checkBlobs(JsonNode list, Map<String, Long> found) throws InvalidBundleException {
    Map<String, Long> signed = new TreeMap<>();
    for (JsonNode b : list.path("blobs")) {
      signed.put(b.path("digest").asText(""), b.path("size").asLong(-1));
    }
    for (Map.Entry<String, Long> s : signed.entrySet()) {
      Long size = found.get(s.getKey());
      if (size == null) {
        throw new InvalidBundleException("blob " + s.getKey() + " of the signed list is missing");
      }
      if (size.longValue() != s.getValue()) {
        throw new InvalidBundleException("blob " + s.getKey() + " holds " + size + " bytes, the signed list says "
            + s.getValue());
      }
    }
    for (String f : found.keySet()) {
      if (!signed.containsKey(f)) {
        throw new InvalidBundleException("blob " + f + " is not in the signed list");
      }
    }
  }

  /** Reads the entry to its end; its size when its content's SHA-256 is {@code hex}. */
  private static long hashMatches(InputStream in, String hex, String name) throws IOException, InvalidBundleException {
    MessageDigest sha = newSha256();
    byte[] buf = new byte[1 << 16];
    long size = 0;
    for (int n; (n = in.read(buf)) > 0; ) {
      sha.update(buf, 0, n);
      size += n;
    }
    if (!HexFormat.of().formatHex(sha.digest()).equals(hex)) {
      throw new InvalidBundleException(name + " does not match its digest: its content was changed");
    }
    return size;
  }

  private static String sha256(byte[] data) {
    return "sha256:" + HexFormat.of().formatHex(newSha256().digest(data));
  }

  private static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A name from the archive, safe to print: at most 200 characters, control characters as '?'. */
  private static String printable(String name) {
    String s = name.length() > 200 ? name.substring(0, 200) + "..." : name;
    return s.replaceAll("\\p{Cntrl}", "?");
  }
}
