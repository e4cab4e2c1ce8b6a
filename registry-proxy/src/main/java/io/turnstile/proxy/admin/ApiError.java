package io.turnstile.proxy.admin;

/** An admin API failure with its HTTP status; {@code field} names the offending input, if any. */
final class ApiError extends RuntimeException {
  final int status;
  final String field;

  ApiError(int status, String message) {
    this(status, null, message);
  }

  ApiError(int status, String field, String message) {
    super(field == null ? message : field + ": " + message);
    this.status = status;
    this.field = field;
  }

  static ApiError badRequest(String field, String message) {
    return new ApiError(400, field, message);
  }

  /** 405, naming the methods the resource takes. */
  static ApiError notAllowed(String allowed) {
    return new ApiError(405, "method not allowed; use " + allowed);
  }
}
