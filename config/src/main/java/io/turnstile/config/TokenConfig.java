package io.turnstile.config;

import com.fasterxml.jackson.annotation.JsonFormat;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Registry token issuance.
 *
 * @param ttl lifetime of a pull token; default 5m, at least 60s (registry token spec)
 * @param signingKey PEM key files; the first signs, all verify; default {@code
 *     data/signing-key.pem}, generated on first start when missing
 * @param algorithm {@code ES256} (default) or {@code RS256}, used when a key is generated
 * @param service the {@code service} / {@code aud} value; default {@code turnstile}
 * @param issuer the {@code iss} claim; default {@code turnstile}
 * @param refreshTtl lifetime of a refresh token (docker's identity token); default 30d
 */
public record TokenConfig(
    Duration ttl,
    @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<Path> signingKey,
    String algorithm,
    String service,
    String issuer,
    Duration refreshTtl) {
  public TokenConfig {
    ttl = ttl == null ? Duration.ofMinutes(5) : ttl;
    if (ttl.compareTo(Duration.ofSeconds(60)) < 0) {
      throw new InvalidValueException("ttl", "must be at least 60s (registry token spec)");
    }
    signingKey = signingKey == null || signingKey.isEmpty()
        ? List.of(Path.of("data/signing-key.pem"))
        : List.copyOf(signingKey);
    algorithm = algorithm == null ? "ES256" : algorithm;
    if (!algorithm.equals("ES256") && !algorithm.equals("RS256")) {
      throw new InvalidValueException("algorithm", "must be ES256 or RS256");
    }
    service = service == null ? "turnstile" : service;
    issuer = issuer == null ? "turnstile" : issuer;
    refreshTtl = refreshTtl == null ? Duration.ofDays(30) : refreshTtl;
    if (refreshTtl.compareTo(ttl) < 0) {
      throw new InvalidValueException("refreshTtl", "must not be shorter than ttl");
    }
  }

  /** The defaults, for a configuration without a {@code token} section. */
  public static TokenConfig defaults() {
    return new TokenConfig(null, null, null, null, null, null);
  }
}
