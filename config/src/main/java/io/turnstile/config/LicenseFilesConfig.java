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
 *     {@code data/license-signing-key.jwk}, generated (mode 0600) on first start when missing
 *     (replicas share them through one mounted file, e.g. a Kubernetes Secret)
 * @param issuer the {@code iss} claim of files and check answers; default {@code turnstile}
 */
public record LicenseFilesConfig(
    @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<Path> signingKey,
    String issuer) {
  public LicenseFilesConfig {
    signingKey = signingKey == null || signingKey.isEmpty()
        ? List.of(Path.of("data/license-signing-key.jwk"))
        : List.copyOf(signingKey);
    issuer = issuer == null ? "turnstile" : issuer;
  }

  /** The defaults, for a configuration without a {@code licenseFiles} section. */
  public static LicenseFilesConfig defaults() {
    return new LicenseFilesConfig(null, null);
  }
}
