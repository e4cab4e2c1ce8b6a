package io.turnstile.store;

import java.time.Instant;
import java.util.Objects;

/**
 * A manifest GET answered 200: who pulled what, when and from where. Never holds a key or a token.
 * Identical GETs (same key, repository, tag, digest, address and client) within a second of the
 * first are one record with a {@link #count}.
 *
 * @param licenseId the license that granted the pull (for a customer-level key, the one of the
 *     customer's licenses that did); null when none could be named
 * @param tag the tag asked for; null for a pull by digest
 * @param version the licensed version behind the tag, or behind the granted tag that reaches the
 *     digest; null when unknown
 * @param clientAddress the client's IP address as Turnstile saw it; null when unknown
 * @param userAgent the client's {@code User-Agent}, cut to {@link #MAX_USER_AGENT} characters; null when
 *     absent
 * @param blobBytes blob bytes sent for this pull, where they could be joined to it; null when not
 *     counted
 * @param count how many identical GETs this record stands for, the first at {@code at}; at least 1
 * @param tokenId the pull token the pull was made with ({@code ptk_...}); null for a license or
 *     customer key
 * @param kind {@value #PULL}, or {@value #BUNDLE} for an air-gap bundle download: then {@code
 *     version} names its versions (comma-separated), {@code repository} its repositories, {@code
 *     digest} its content tag and {@code blobBytes} the archive bytes sent
 * @param completed for a bundle, whether its whole answer was sent; null for a pull
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
    Long blobBytes,
    int count,
    String tokenId,
    String kind,
    Boolean completed) {
  /** A manifest GET. */
  public static final String PULL = "pull";
  /** An air-gap bundle download. */
  public static final String BUNDLE = "bundle";

  /** The longest {@code User-Agent} kept; a longer one is cut when the record is made. */
  public static final int MAX_USER_AGENT = 400;

  public PullRecord {
    // Cut here, when a pull is seen, not when it is written: a record waits in memory until then.
    if (userAgent != null && userAgent.length() > MAX_USER_AGENT) {
      userAgent = userAgent.substring(0, MAX_USER_AGENT);
    }
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(customerId, "customerId");
    Objects.requireNonNull(credential, "credential");
    Objects.requireNonNull(application, "application");
    Objects.requireNonNull(repository, "repository");
    Objects.requireNonNull(digest, "digest");
    kind = kind == null ? PULL : kind;
    if (count < 1) {
      throw new IllegalArgumentException("count must be at least 1");
    }
  }

  /** {@code count} GETs, with the pull token they were made with (null: none). */
  public PullRecord(Instant at, LicenseId licenseId, CustomerId customerId, CredentialKind credential,
      String application, String repository, String tag, String version, String digest, String clientAddress,
      String userAgent, Long blobBytes, int count, String tokenId) {
    this(at, licenseId, customerId, credential, application, repository, tag, version, digest, clientAddress,
        userAgent, blobBytes, count, tokenId, PULL, null);
  }

  /** One GET. */
  public PullRecord(Instant at, LicenseId licenseId, CustomerId customerId, CredentialKind credential,
      String application, String repository, String tag, String version, String digest, String clientAddress,
      String userAgent, Long blobBytes) {
    this(at, licenseId, customerId, credential, application, repository, tag, version, digest, clientAddress,
        userAgent, blobBytes, 1, null);
  }

  /** {@code count} GETs made with a license or customer key. */
  public PullRecord(Instant at, LicenseId licenseId, CustomerId customerId, CredentialKind credential,
      String application, String repository, String tag, String version, String digest, String clientAddress,
      String userAgent, Long blobBytes, int count) {
    this(at, licenseId, customerId, credential, application, repository, tag, version, digest, clientAddress,
        userAgent, blobBytes, count, null);
  }

  /**
   * Whether {@code other} is the same GET again: same key kind and license, repository, tag,
   * digest, address and client. The caller knows the key and address are the same.
   */
  public boolean repeatedBy(PullRecord other) {
    // Every bundle download is a record of its own.
    return kind.equals(PULL) && other.kind.equals(PULL) && Objects.equals(tag, other.tag) && digest.equals(other.digest) && Objects.equals(userAgent, other.userAgent)
        && Objects.equals(licenseId, other.licenseId) && Objects.equals(clientAddress, other.clientAddress)
        && repository.equals(other.repository);
  }

  /** The same record with {@code bytes} of blobs joined to it. */
  public PullRecord withBlobBytes(long bytes) {
    return new PullRecord(at, licenseId, customerId, credential, application, repository, tag, version, digest,
        clientAddress, userAgent, bytes, count, tokenId, kind, completed);
  }

  /** The same record naming {@code tag} as the tag asked for. */
  public PullRecord withTag(String tag) {
    return new PullRecord(at, licenseId, customerId, credential, application, repository, tag, version, digest,
        clientAddress, userAgent, blobBytes, count, tokenId, kind, completed);
  }

  /** The same record naming the pull token {@code id} it was made with. */
  public PullRecord withToken(String id) {
    return new PullRecord(at, licenseId, customerId, credential, application, repository, tag, version, digest,
        clientAddress, userAgent, blobBytes, count, id, kind, completed);
  }

  /** The same record standing for {@code n} GETs. */
  public PullRecord withCount(int n) {
    return new PullRecord(at, licenseId, customerId, credential, application, repository, tag, version, digest,
        clientAddress, userAgent, blobBytes, n, tokenId, kind, completed);
  }

  /** The same record as a bundle download, sent whole or not. */
  public PullRecord asBundle(boolean completed) {
    return new PullRecord(at, licenseId, customerId, credential, application, repository, tag, version, digest,
        clientAddress, userAgent, blobBytes, count, tokenId, BUNDLE, completed);
  }
}
