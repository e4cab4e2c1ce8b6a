package io.turnstile.proxy.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.turnstile.proxy.access.RegistryAuthenticator;
import io.turnstile.proxy.access.RegistryBackend;
import io.turnstile.proxy.licensing.LicenseCheck;
import io.turnstile.proxy.observe.Health;
import io.turnstile.proxy.observe.RequestMetrics;
import io.turnstile.proxy.portal.Portal;
import io.turnstile.proxy.token.Jwks;
import io.turnstile.proxy.token.TokenEndpoint;

/**
 * What every public connection shares; {@code portal} and {@code licenseCheck} null for none
 * (tests): their paths are then 404.
 */
record RegistryServices(
    TokenEndpoint tokens,
    RegistryAuthenticator authenticator,
    RegistryBackend backend,
    ObjectMapper json,
    Jwks jwks,
    RequestMetrics metrics,
    Health health,
    Portal portal,
    LicenseCheck licenseCheck) {
  /** Services without the license check. */
  RegistryServices(TokenEndpoint tokens, RegistryAuthenticator authenticator, RegistryBackend backend,
      ObjectMapper json, Jwks jwks, RequestMetrics metrics, Health health, Portal portal) {
    this(tokens, authenticator, backend, json, jwks, metrics, health, portal, null);
  }
}
