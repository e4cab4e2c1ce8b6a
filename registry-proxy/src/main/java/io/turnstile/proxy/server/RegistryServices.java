package io.turnstile.proxy.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.turnstile.proxy.access.RegistryAuthenticator;
import io.turnstile.proxy.access.RegistryBackend;
import io.turnstile.proxy.observe.Health;
import io.turnstile.proxy.observe.RequestMetrics;
import io.turnstile.proxy.portal.Portal;
import io.turnstile.proxy.token.Jwks;
import io.turnstile.proxy.token.TokenEndpoint;

/** What every public connection shares; {@code portal} null for none (tests). */
record RegistryServices(
    TokenEndpoint tokens,
    RegistryAuthenticator authenticator,
    RegistryBackend backend,
    ObjectMapper json,
    Jwks jwks,
    RequestMetrics metrics,
    Health health,
    Portal portal) {}
