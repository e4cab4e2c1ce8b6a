package io.turnstile.proxy.oci;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A failure on its way to becoming an answer: the {@link RegistryError}, a message safe to show
 * the client, an optional detail, the headers the answer carries ({@code WWW-Authenticate},
 * {@code Retry-After}), for the token endpoint the OAuth2 error name, and for a refusal the
 * {@link Denial} that metrics and the access log name (never shown to the client).
 */
public final class RegistryException extends Exception {
  private final RegistryError error;
  private final String detail;
  private final Map<String, String> headers;
  private final String oauthError;
  private final Denial denial;

  public RegistryException(RegistryError error, String message) {
    this(error, message, null);
  }

  public RegistryException(RegistryError error, String message, String detail) {
    this(error, message, detail, Map.of(), null, null);
  }

  private RegistryException(RegistryError error, String message, String detail, Map<String, String> headers,
      String oauthError, Denial denial) {
    super(message, null, false, false);
    this.error = error;
    this.detail = detail;
    this.headers = Map.copyOf(headers);
    this.oauthError = oauthError;
    this.denial = denial;
  }

  /** The same failure, answered with one more header. */
  public RegistryException withHeader(String name, String value) {
    Map<String, String> more = new LinkedHashMap<>(headers);
    more.put(name, value);
    return new RegistryException(error, getMessage(), detail, more, oauthError, denial);
  }

  /** The same failure, with {@code message} shown instead. */
  public RegistryException withMessage(String message) {
    return new RegistryException(error, message, detail, headers, oauthError, denial);
  }

  /** The same failure, answered as {@code other}. */
  public RegistryException as(RegistryError other) {
    return new RegistryException(other, getMessage(), detail, headers, oauthError, denial);
  }

  /** The same failure from the token endpoint, naming the OAuth2 error ({@code invalid_grant}, ...). */
  public RegistryException withOAuthError(String name) {
    return new RegistryException(error, getMessage(), detail, headers, name, denial);
  }

  /** The same failure, a refusal for {@code why}. */
  public RegistryException deniedFor(Denial why) {
    return new RegistryException(error, getMessage(), detail, headers, oauthError, why);
  }

  public RegistryError error() {
    return error;
  }

  public String detail() {
    return detail;
  }

  public Map<String, String> headers() {
    return headers;
  }

  /** The OAuth2 error name, or null outside the token endpoint. */
  public String oauthError() {
    return oauthError;
  }

  /** Why the request was refused, or null when it was not a refusal. */
  public Denial denial() {
    return denial;
  }
}
