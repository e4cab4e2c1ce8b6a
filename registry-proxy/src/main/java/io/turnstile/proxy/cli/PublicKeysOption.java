package io.turnstile.proxy.cli;

import com.nimbusds.jose.jwk.JWKSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import picocli.CommandLine.Option;

/**
 * The {@code --keys JWKS} option of the offline checks ({@code license verify}, {@code bundle
 * verify}): the license-signing public keys, as {@code turnstile license-key export} writes them.
 */
final class PublicKeysOption {
  @Option(names = "--keys", required = true, paramLabel = "JWKS",
      description = "The license-signing public keys (license-keys.json, from 'turnstile license-key export')")
  Path keys;

  /** The keys; a clear error when the file cannot be read or is no JWKS. */
  JWKSet load() {
    try {
      return JWKSet.parse(Files.readString(keys));
    } catch (IOException | ParseException e) {
      throw new CliException("--keys: " + keys + " is not a JWKS: " + e.getMessage());
    }
  }
}
