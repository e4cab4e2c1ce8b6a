package io.turnstile.proxy.upstream;

import io.turnstile.proxy.oci.RegistryException;
import java.net.URI;

/**
 * Which upstream redirects Turnstile follows itself, for one exchange. A token call follows every
 * redirect; a blob follows those back to its origin and, with {@code blobRedirects: follow}, the
 * rest (object storage); any other answer is handed on as it is. Followed redirects number at
 * most {@value #MAX_REDIRECTS} and never go from HTTPS to plain HTTP. Whether credentials go along
 * is not decided here: the exchange sends them to their own origin only.
 */
final class RedirectPolicy {
  static final int MAX_REDIRECTS = 5;

  /** What is followed. */
  enum Mode {
    /** Nothing: 3xx answers go to the caller untouched. */
    NONE,
    /** Redirects back to the origin; the others go to the caller with an absolute Location. */
    SAME_ORIGIN,
    /** Every redirect. */
    ALL
  }

  /** A redirect to act on: follow it, or hand it on with {@code location} made absolute. */
  record Redirect(URI location, boolean follow) {}

  private final Mode mode;
  private final Origin origin;
  private final String peer;
  private int followed;

  /**
   * @param origin where the exchange's credentials belong
   * @param peer who is redirecting, for messages ("the upstream registry")
   */
  RedirectPolicy(Mode mode, Origin origin, String peer) {
    this.mode = mode;
    this.origin = origin;
    this.peer = peer;
  }

  /**
   * Reads an answer of {@code status} with {@code locationHeader} to a request for {@code from}:
   * null when there is nothing to act on (not a redirect, no Location, or mode NONE).
   *
   * @throws RegistryException when the redirect is invalid, one too many, or a downgrade to HTTP
   */
  Redirect decide(int status, String locationHeader, URI from) throws RegistryException {
    if (mode == Mode.NONE || !isRedirect(status) || locationHeader == null) {
      return null;
    }
    URI location;
    Origin to;
    try {
      location = from.resolve(locationHeader.trim());
      to = Origin.of(location);
    } catch (IllegalArgumentException e) {
      throw ExchangeFailures.failed(peer + " sent an invalid redirect");
    }
    if (mode == Mode.SAME_ORIGIN && !to.equals(origin)) {
      return new Redirect(location, false);
    }
    if (++followed > MAX_REDIRECTS) {
      throw ExchangeFailures.failed("too many redirects from " + peer);
    }
    if (Origin.of(from).https() && !to.https()) {
      throw ExchangeFailures.failed(peer + " redirected from HTTPS to plain HTTP");
    }
    return new Redirect(location, true);
  }

  private static boolean isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }
}
