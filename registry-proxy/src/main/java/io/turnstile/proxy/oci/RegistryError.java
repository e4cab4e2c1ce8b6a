package io.turnstile.proxy.oci;

/**
 * Every answer Turnstile gives that is not a success: its HTTP status, its error code (the OCI
 * distribution spec's, or distribution's own {@code UNAVAILABLE} and {@code UNKNOWN} where the spec
 * has none) and when it is given. {@link RegistryErrors} is the one place where a failure becomes
 * one of these, and one of these becomes an answer; README's table lists the same rows.
 */
public enum RegistryError {
  BAD_REQUEST(400, "UNSUPPORTED", "a malformed HTTP request, or a token request body over 64 KiB"),
  NAME_INVALID(400, "NAME_INVALID", "a repository name outside the distribution grammar"),
  DIGEST_INVALID(400, "DIGEST_INVALID", "a malformed digest, or a sha256/sha512 digest of the wrong length"),
  PAGINATION_INVALID(400, "PAGINATION_NUMBER_INVALID", "n is not a non-negative integer on a list"),
  TOKEN_REQUEST_INVALID(400, "DENIED",
      "a token request with an unknown service, a mismatched account, too many scopes or a bad grant type"),
  UNAUTHORIZED(401, "UNAUTHORIZED",
      "no, wrong or refused credentials, or a token without the scope; with a challenge naming the token endpoint"),
  WRITE_UNAUTHORIZED(401, "DENIED", "a write without valid credentials: refused without saying whether it could"),
  DENIED(403, "DENIED", "a tag, digest, blob or referrer no granted tag reaches (never 404: no existence oracle)"),
  NOT_FOUND(404, "UNSUPPORTED", "a path that is no registry endpoint"),
  MANIFEST_UNKNOWN(404, "MANIFEST_UNKNOWN",
      "a granted manifest or referrers list the upstream does not have, or a reference that cannot be a tag"),
  BLOB_UNKNOWN(404, "BLOB_UNKNOWN", "a granted blob the upstream does not have"),
  UNSUPPORTED(405, "UNSUPPORTED", "a write with valid credentials (Turnstile serves pulls only), or a token method other than GET and POST"),
  REQUEST_TIMEOUT(408, "UNKNOWN", "the request did not arrive whole within server.requestHeaderTimeout; the connection closes"),
  URI_TOO_LONG(414, "UNSUPPORTED", "a request line over 8 KiB; the connection closes"),
  TOO_MANY_REQUESTS(429, "TOOMANYREQUESTS",
      "failed logins throttled, a license's enforced fair-use limit used up, or the upstream's rate limit passed on (until its Retry-After, nothing is sent to that upstream); with Retry-After"),
  HEADERS_TOO_LARGE(431, "UNSUPPORTED", "request headers over server.maxHeaderSize; the connection closes"),
  INTERNAL(500, "UNKNOWN", "a failure inside Turnstile (logged)"),
  UPSTREAM_FAILED(502, "UNAVAILABLE",
      "the upstream failed, refused Turnstile's credentials, answered badly or closed early"),
  UPSTREAM_UNAVAILABLE(503, "UNAVAILABLE", "the upstream is unreachable, answered 503, or none of its `maxConnections` came free within `connectionWait`"),
  UPSTREAM_TIMEOUT(504, "UNAVAILABLE", "the upstream did not answer within its timeouts");

  private final int status;
  private final String code;
  private final String when;

  RegistryError(int status, String code, String when) {
    this.status = status;
    this.code = code;
    this.when = when;
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  /** When this answer is given, as README's table says it. */
  public String when() {
    return when;
  }
}
