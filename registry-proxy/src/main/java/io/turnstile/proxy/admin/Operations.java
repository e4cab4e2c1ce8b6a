package io.turnstile.proxy.admin;

import io.turnstile.proxy.observe.Health;
import io.turnstile.proxy.observe.Metrics;

/** What the admin listener's operator endpoints ({@code /metrics}, {@code /healthz}, {@code /readyz}) read. */
public record Operations(Metrics metrics, Health health) {}
