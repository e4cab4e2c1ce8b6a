package io.turnstile.proxy.oci;

import java.util.Locale;

/**
 * Why a request or a token request was refused, for metrics and the access log: finer than the
 * answer's {@link RegistryError}, never shown to the client (which must not learn, say, whether a
 * repository exists).
 */
public enum Denial {
  /** No credentials at all. */
  NO_CREDENTIALS,
  /** Unknown user, wrong or rotated-away key, malformed or unsupported credentials. */
  BAD_CREDENTIALS,
  LICENSE_REVOKED,
  LICENSE_EXPIRED,
  /** A pull token past its own expiry. */
  TOKEN_EXPIRED,
  /** A bearer or refresh token that does not verify, or whose key is gone. */
  INVALID_TOKEN,
  /** Credentials or a token that do not grant the scope the request needs. */
  INSUFFICIENT_SCOPE,
  /** Failed logins from the client's address throttled. */
  THROTTLED,
  /** A fair-use limit of the license used up for the period, and enforced. */
  LIMIT_REACHED,
  /** A repository outside the caller's licenses. */
  REPOSITORY_NOT_GRANTED,
  /** A tag no granted version's template produces. */
  TAG_NOT_GRANTED,
  /** A digest, blob or referrer no granted tag reaches. */
  DIGEST_NOT_GRANTED,
  /** A push or delete: Turnstile serves pulls only. */
  WRITE,
  /** A token request Turnstile cannot read (bad service, account, scopes or grant type). */
  INVALID_REQUEST;

  private final String label = name().toLowerCase(Locale.ROOT);

  /** The name in metrics and logs, e.g. {@code tag_not_granted}. */
  public String label() {
    return label;
  }
}
