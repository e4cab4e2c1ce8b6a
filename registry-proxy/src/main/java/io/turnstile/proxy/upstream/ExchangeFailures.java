package io.turnstile.proxy.upstream;

import io.netty.channel.ConnectTimeoutException;
import io.turnstile.proxy.oci.RegistryError;
import io.turnstile.proxy.oci.RegistryException;
import java.net.ConnectException;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * How an exchange's failures read to a client. {@code peer} names who failed, "the upstream
 * registry" or "the upstream's token service", so a message says which call went wrong.
 */
final class ExchangeFailures {
  static final String REGISTRY = "the upstream registry";
  static final String TOKEN_SERVICE = "the upstream's token service";

  private ExchangeFailures() {}

  static RegistryException failed(String message) {
    return new RegistryException(RegistryError.UPSTREAM_FAILED, message);
  }

  static RegistryException connect(String peer, Throwable cause) {
    if (cause instanceof ConnectTimeoutException || cause instanceof TimeoutException) {
      return new RegistryException(RegistryError.UPSTREAM_TIMEOUT, peer + " did not answer in time");
    }
    if (cause instanceof ConnectException) {
      return new RegistryException(RegistryError.UPSTREAM_UNAVAILABLE, peer + " is unreachable");
    }
    return failed("cannot connect to " + peer);
  }

  /** No connection to the upstream came free: every one of them stayed in use. */
  static RegistryException busy(ConnectionLeases.BusyException e) {
    return new RegistryException(RegistryError.UPSTREAM_UNAVAILABLE, e.getMessage() + "; try again later");
  }

  /** The connection ended (or broke, with {@code cause}) before the answer did. */
  static RegistryException closed(String peer, Throwable cause, boolean beforeHead) {
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof SSLException) {
        return failed("TLS with " + peer + " failed (is its certificate trusted?)");
      }
    }
    return failed(peer + (beforeHead ? " closed the connection" : " closed the connection mid-answer"));
  }

  static RegistryException timedOut(String peer) {
    return new RegistryException(RegistryError.UPSTREAM_TIMEOUT, peer + " timed out");
  }

  /** Getting a token failed: the token service's own answer, or why it could not be asked. */
  static RegistryException auth(Throwable error) {
    if (error instanceof RegistryException e) {
      return e;
    }
    if (error instanceof UpstreamAuth.UpstreamAuthException e) {
      return failed(e.getMessage());
    }
    return failed("cannot reach " + TOKEN_SERVICE);
  }
}
