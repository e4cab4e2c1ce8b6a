package io.turnstile.store;

import java.time.Instant;
import java.util.Objects;

/**
 * One manifest GET answered 200: who pulled what, when and from where. Never holds a key or a
 * token.
 *
 * @param licenseId the license that granted the pull (for a customer-level key, the one of the
 *     customer's licenses that did); null when none could be named
 * @param tag the tag asked for; null for a pull by digest
 * @param version the licensed version behind the tag, or behind the granted tag that reaches the
 *     digest; null when unknown
 * @param clientAddress the client's IP address as Turnstile saw it; null when unknown
 * @param userAgent the client's {@code User-Agent}; null when absent
 * @param blobBytes blob bytes sent for this pull, where they could be joined to it; null when not
 *     counted
 */
public record PullRecord(
    Instant at,
    LicenseId licenseId,
    CustomerId customerId,
    CredentialKind credential,
    String application,
    String repository,
    String tag,
    String version,
    String digest,
    String clientAddress,
    String userAgent,
    Long blobBytes) {
  public PullRecord {
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(customerId, "customerId");
    Objects.requireNonNull(credential, "credential");
    Objects.requireNonNull(application, "application");
    Objects.requireNonNull(repository, "repository");
    Objects.requireNonNull(digest, "digest");
  }

  /** The same record with {@code bytes} of blobs joined to it. */
  public PullRecord withBlobBytes(long bytes) {
    return new PullRecord(at, licenseId, customerId, credential, application, repository, tag, version, digest,
        clientAddress, userAgent, bytes);
  }
}
