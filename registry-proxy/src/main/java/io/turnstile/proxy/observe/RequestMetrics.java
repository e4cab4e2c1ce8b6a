package io.turnstile.proxy.observe;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.turnstile.proxy.oci.Denial;
import io.turnstile.proxy.oci.RegistryError;
import io.turnstile.proxy.oci.RegistryException;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;

/**
 * What the public listener answered: requests by route and status, body bytes by route, refusals
 * of registry requests by {@link Denial}, and tokens issued and refused. Every counter a request
 * can touch is found by array index, never by a map lookup: the counters of the statuses Turnstile
 * answers are registered up front, any other on first use.
 */
public final class RequestMetrics {
  /** Statuses registered up front, so a dashboard shows them at zero before they happen. */
  private static final int[] KNOWN_STATUSES = {200, 206, 304, 307, 400, 401, 403, 404, 405, 408, 414, 416, 429, 431,
      500, 502, 503, 504};
  private static final int MIN_STATUS = 100;
  private static final int MAX_STATUS = 599;

  private final MeterRegistry registry;
  private static final int STATUSES = MAX_STATUS - MIN_STATUS + 1;

  /**
   * At {@code route * STATUSES + status - 100}. Filled lazily past the known statuses; two threads
   * racing to fill a slot get the same meter from the registry.
   */
  private final AtomicReferenceArray<Counter> requests = new AtomicReferenceArray<>(Route.values().length * STATUSES);
  private final Counter[] bytes = new Counter[Route.values().length];
  private final Counter[] denials = new Counter[Denial.values().length];
  private final Counter[] tokensRefused = new Counter[Denial.values().length];
  private final Counter tokensIssued;

  public RequestMetrics(MeterRegistry registry) {
    this.registry = registry;
    for (Route route : Route.values()) {
      for (int status : KNOWN_STATUSES) {
        requests(route, status);
      }
      bytes[route.ordinal()] = Counter.builder("turnstile.served.bytes")
          .description("Body bytes written to clients of the public listener")
          .baseUnit("bytes").tag("route", route.label()).register(registry);
    }
    for (Denial d : Denial.values()) {
      denials[d.ordinal()] = Counter.builder("turnstile.denials")
          .description("Registry requests refused, by why").tag("reason", d.label()).register(registry);
      tokensRefused[d.ordinal()] = Counter.builder("turnstile.tokens.refused")
          .description("Token requests refused, by why").tag("reason", d.label()).register(registry);
    }
    tokensIssued = Counter.builder("turnstile.tokens.issued").description("Tokens handed out").register(registry);
  }

  /** Counts connections open on the public listener, as {@code open} tells. */
  public void connectionsOpen(Supplier<Number> open) {
    Gauge.builder("turnstile.connections.open", open).description("Client connections open on the public listener")
        .strongReference(true).register(registry);
  }

  /**
   * One answered request.
   *
   * @param failure what an error answer was made from; null for a success
   */
  public void answered(Route route, int status, long bodyBytes, RegistryException failure) {
    requests(route, status).increment();
    if (bodyBytes > 0) {
      bytes[route.ordinal()].increment(bodyBytes);
    }
    Denial why = failure == null ? null : failure.denial();
    if (route == Route.TOKEN) {
      if (status == 200) {
        tokensIssued.increment();
      } else if (status / 100 == 4) {
        tokensRefused[(why == null ? fallback(failure) : why).ordinal()].increment();
      }
    } else if (why != null) {
      denials[why.ordinal()].increment();
    }
  }

  private static Denial fallback(RegistryException failure) {
    return failure != null && failure.error() == RegistryError.TOO_MANY_REQUESTS ? Denial.THROTTLED
        : Denial.INVALID_REQUEST;
  }

  private Counter requests(Route route, int status) {
    int s = status < MIN_STATUS || status > MAX_STATUS ? MAX_STATUS : status;
    int slot = route.ordinal() * STATUSES + s - MIN_STATUS;
    Counter c = requests.get(slot);
    if (c == null) {
      c = Counter.builder("turnstile.requests")
          .description("Requests answered on the public listener, by route and status")
          .tag("route", route.label()).tag("status", Integer.toString(s)).register(registry);
      requests.set(slot, c);
    }
    return c;
  }
}
