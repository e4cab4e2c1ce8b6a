package io.turnstile.proxy.limits;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.turnstile.store.UsageLimit;

/**
 * The fair-use metrics, tagged by application and limit, never by license, so their number stays
 * bounded: {@code turnstile.limits.over} (requests that found a limit used up, {@code mode} enforce
 * when refused, watch when let through) and {@code turnstile.limits.notices} (limit_warning and
 * limit_reached events queued).
 */
final class LimitMetrics {
  private final MeterRegistry registry;

  /** @param registry null for none */
  LimitMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  void over(String application, UsageLimit limit, boolean enforced) {
    if (registry != null) {
      Counter.builder("turnstile.limits.over")
          .description("Requests that found a fair-use limit used up: refused (enforce) or let through (watch)")
          .tag("application", application).tag("limit", limit.apiName()).tag("mode", enforced ? "enforce" : "watch")
          .register(registry).increment();
    }
  }

  void notice(String application, UsageLimit limit, boolean reached) {
    if (registry != null) {
      Counter.builder("turnstile.limits.notices")
          .description("license.limit_warning and license.limit_reached events queued")
          .tag("application", application).tag("limit", limit.apiName())
          .tag("notice", reached ? "reached" : "warning")
          .register(registry).increment();
    }
  }
}
