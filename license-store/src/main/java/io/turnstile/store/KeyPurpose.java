package io.turnstile.store;

import java.util.Locale;

/**
 * What a signing key kept in the store signs. The two kinds live apart: every read and write
 * names one, so a token key never signs a license file, nor a license key a token.
 */
public enum KeyPurpose {
  /** Registry tokens ({@code token.keySource: store}); published at {@code /.well-known/jwks.json}. */
  TOKEN("signing key", "tokens"),
  /**
   * License files and online check answers ({@code licenseFiles.keySource: store}); published at
   * {@code /.well-known/license-keys.json}.
   */
  LICENSE("license-signing key", "license files");

  private final String noun;
  private final String signs;

  KeyPurpose(String noun, String signs) {
    this.noun = noun;
    this.signs = signs;
  }

  /** As stored and shown: {@code token} or {@code license}. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** How a message names a key of this kind, e.g. {@code license-signing key}. */
  public String noun() {
    return noun;
  }

  /** What keys of this kind sign, e.g. {@code license files}. */
  public String signs() {
    return signs;
  }
}
