package io.turnstile.proxy.access;

import java.util.regex.Pattern;

/**
 * A blob (or manifest) of a bundle: its digest, its size as its descriptor states it, and where it
 * is read. The digest is checked here, so a path inside the archive is never made of unchecked
 * upstream data.
 *
 * @param source the granted repository it is read from
 */
record BundleBlob(String digest, long size, ClosureCache.Source source) {
  private static final Pattern SHA256 = Pattern.compile("sha256:[a-f0-9]{64}");

  BundleBlob {
    if (!isNameable(digest)) {
      throw new IllegalArgumentException("not a sha256 digest");
    }
    if (size < 0) {
      throw new IllegalArgumentException("negative size");
    }
  }

  /** Whether {@code digest} can name a file of a bundle: a well-formed sha256 digest. */
  static boolean isNameable(String digest) {
    return digest != null && SHA256.matcher(digest).matches();
  }

  /** The file of the OCI image layout that holds the blob. */
  String path() {
    return path(digest);
  }

  static String path(String digest) {
    return "blobs/sha256/" + digest.substring("sha256:".length());
  }
}
