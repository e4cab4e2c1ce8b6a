package io.turnstile.proxy.oci;

import io.turnstile.config.RepositoryNames;
import java.util.regex.Pattern;

/**
 * A parsed {@code /v2/} request path. Names follow the distribution grammar (lowercase path
 * components); anything that could step outside it, such as {@code ..}, percent-encoding or
 * empty components, is rejected before any upstream request.
 */
public record RegistryPath(Kind kind, String name, String reference) {
  public enum Kind { BASE, CATALOG, TAGS, MANIFEST, BLOB, REFERRERS, UPLOAD }

  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");
  private static final Pattern DIGEST = Pattern.compile("[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+");
  private static final Pattern SHA256 = Pattern.compile("sha256:[a-f0-9]{64}");
  private static final Pattern SHA512 = Pattern.compile("sha512:[a-f0-9]{128}");
  public static final int MAX_NAME = RepositoryNames.MAX_LENGTH;

  /** Whether {@code reference} follows the tag grammar ({@code [A-Za-z0-9_][A-Za-z0-9._-]{0,127}}). */
  public static boolean isTag(String reference) {
    return TAG.matcher(reference).matches();
  }

  public boolean isDigestReference() {
    return reference != null && reference.indexOf(':') > 0;
  }

  /** Parses the raw path (no query); throws for malformed names, tags and digests. */
  public static RegistryPath parse(String rawPath) throws RegistryException {
    if (!rawPath.startsWith("/v2/")) {
      throw new RegistryException(RegistryError.NOT_FOUND, "not a registry path");
    }
    if (rawPath.indexOf('%') >= 0 || rawPath.indexOf('\\') >= 0) {
      throw new RegistryException(RegistryError.NAME_INVALID, "encoded characters are not allowed in registry paths");
    }
    String rest = rawPath.substring(4);
    if (rest.isEmpty()) {
      return new RegistryPath(Kind.BASE, null, null);
    }
    if (rest.equals("_catalog")) {
      return new RegistryPath(Kind.CATALOG, null, null);
    }
    String[] parts = rest.split("/", -1);
    int n = parts.length;
    if (n >= 3 && parts[n - 2].equals("tags") && parts[n - 1].equals("list")) {
      return new RegistryPath(Kind.TAGS, name(parts, n - 2), null);
    }
    if (n >= 3 && parts[n - 2].equals("manifests")) {
      String ref = parts[n - 1];
      if (ref.indexOf(':') > 0) {
        digest(ref);
      }
      // A reference that cannot be a tag is answered after authentication, as an unknown manifest.
      return new RegistryPath(Kind.MANIFEST, name(parts, n - 2), ref);
    }
    if (n >= 3 && parts[n - 2].equals("blobs")) {
      if (parts[n - 1].equals("uploads")) {
        return new RegistryPath(Kind.UPLOAD, name(parts, n - 2), null);
      }
      return new RegistryPath(Kind.BLOB, name(parts, n - 2), digest(parts[n - 1]));
    }
    if (n >= 4 && parts[n - 3].equals("blobs") && parts[n - 2].equals("uploads")) {
      return new RegistryPath(Kind.UPLOAD, name(parts, n - 3), null);
    }
    if (n >= 3 && parts[n - 2].equals("referrers")) {
      return new RegistryPath(Kind.REFERRERS, name(parts, n - 2), digest(parts[n - 1]));
    }
    throw new RegistryException(RegistryError.NOT_FOUND, "unknown registry endpoint");
  }

  private static String name(String[] parts, int end) throws RegistryException {
    if (end == 0) {
      throw new RegistryException(RegistryError.NAME_INVALID, "missing repository name");
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < end; i++) {
      if (!RepositoryNames.COMPONENT.matcher(parts[i]).matches()) {
        throw new RegistryException(RegistryError.NAME_INVALID, "invalid repository name");
      }
      if (i > 0) sb.append('/');
      sb.append(parts[i]);
    }
    if (sb.length() > MAX_NAME) {
      throw new RegistryException(RegistryError.NAME_INVALID, "repository name too long");
    }
    return sb.toString();
  }

  /** Validates a digest: well-formed, and for sha256/sha512 the right length of lowercase hex. */
  public static String digest(String d) throws RegistryException {
    if (d.length() > 200 || !DIGEST.matcher(d).matches()) {
      throw new RegistryException(RegistryError.DIGEST_INVALID, "invalid digest");
    }
    if (d.startsWith("sha256:") ? !SHA256.matcher(d).matches()
        : d.startsWith("sha512:") ? !SHA512.matcher(d).matches() : true) {
      throw new RegistryException(RegistryError.DIGEST_INVALID, "invalid or unsupported digest");
    }
    return d;
  }
}
