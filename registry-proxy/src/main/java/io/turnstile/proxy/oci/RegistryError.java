package io.turnstile.proxy.oci;

/**
 * Every way a registry request can fail, each with its HTTP status and OCI error code. The one
 * place where a failure becomes an answer.
 */
public enum RegistryError {
  UNAUTHORIZED(401, "UNAUTHORIZED"),
  DENIED(403, "DENIED"),
  /** A client that is not authenticated tries to write: refused without saying whether it could. */
  WRITE_UNAUTHORIZED(401, "DENIED"),
  UNSUPPORTED(405, "UNSUPPORTED"),
  NAME_INVALID(400, "NAME_INVALID"),
  TAG_INVALID(400, "TAG_INVALID"),
  DIGEST_INVALID(400, "DIGEST_INVALID"),
  PAGINATION_INVALID(400, "PAGINATION_NUMBER_INVALID"),
  BAD_REQUEST(400, "UNSUPPORTED"),
  MANIFEST_UNKNOWN(404, "MANIFEST_UNKNOWN"),
  BLOB_UNKNOWN(404, "BLOB_UNKNOWN"),
  NOT_FOUND(404, "NOT_FOUND"),
  /** The request head (or the token form) did not arrive within {@code server.requestHeaderTimeout}. */
  REQUEST_TIMEOUT(408, "UNKNOWN"),
  TOO_MANY_REQUESTS(429, "TOOMANYREQUESTS"),
  UPSTREAM_FAILED(502, "UNAVAILABLE"),
  UPSTREAM_UNAVAILABLE(503, "UNAVAILABLE"),
  UPSTREAM_TIMEOUT(504, "UNAVAILABLE"),
  INTERNAL(500, "UNKNOWN");

  private final int status;
  private final String code;

  RegistryError(int status, String code) {
    this.status = status;
    this.code = code;
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }
}
