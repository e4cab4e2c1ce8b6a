package io.turnstile.config;

import com.fasterxml.jackson.annotation.JsonFormat;
import java.nio.file.Path;
import java.util.List;

/**
 * The keys that sign license files and the online check's answers: ES256 (P-256) keys, separate
 * from the registry token keys, each a JSON Web Key file holding the private key.
 *
 * @param signingKey JWK files; the first signs, every one verifies, so a rotation puts a new file
 *     first and keeps the old one listed until the files it signed may stop verifying; default
 *     {@code license-signing-key.jwk} in the directory of the first token signing key ({@code
 *     data/} by default), generated (mode 0600) on first start when missing
 *     (replicas share them through one mounted file, e.g. a Kubernetes Secret)
 * @param issuer the {@code iss} claim of files and check answers; default {@code turnstile}
 */
public record LicenseFilesConfig(
    @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<Path> signingKey,
    String issuer) {
  public LicenseFilesConfig {
    signingKey = signingKey == null ? List.of() : List.copyOf(signingKey);
    issuer = issuer == null ? "turnstile" : issuer;
  }

  /** This configuration, with the default key file in {@code directory} when it names no key. */
  LicenseFilesConfig withDefaultKeyIn(Path directory) {
    if (!signingKey.isEmpty()) {
      return this;
    }
    Path file = directory == null ? Path.of(DEFAULT_FILE) : directory.resolve(DEFAULT_FILE);
    return new LicenseFilesConfig(List.of(file), issuer);
  }

  /** The name of the key file made when none is configured. */
  public static final String DEFAULT_FILE = "license-signing-key.jwk";

  /** The defaults, for a configuration without a {@code licenseFiles} section. */
  public static LicenseFilesConfig defaults() {
    return new LicenseFilesConfig(null, null);
  }
}
