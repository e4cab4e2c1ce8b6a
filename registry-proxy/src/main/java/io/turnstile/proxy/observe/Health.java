package io.turnstile.proxy.observe;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.StoreStats;
import java.time.Instant;
import java.util.List;

/**
 * Whether Turnstile is alive and ready to serve pulls, for {@code /healthz} and {@code /readyz}.
 * Alive is answering at all. Ready is: both listeners up, the license snapshot loaded, and not
 * stopping. Whether the store's database answered its last look ({@link StoreStats#reachable()}) is
 * reported in the detail but does not make a replica unready: pulls are answered from the snapshot
 * while the database is down, and every replica would turn unready at once, leaving a load balancer
 * nothing to send pulls to. A dead essential thread or a fatal error ({@link Vitals}) makes it
 * neither alive nor ready. Thread-safe.
 */
public final class Health {
  private final LicenseStore store;
  private final Vitals vitals;
  private volatile boolean started;
  private volatile boolean stopping;

  public Health(LicenseStore store) {
    this(store, new Vitals());
  }

  public Health(LicenseStore store, Vitals vitals) {
    this.store = store;
    this.vitals = vitals;
  }

  public Vitals vitals() {
    return vitals;
  }

  /**
   * What keeps the process from being alive: a dead essential thread or a thread killed by an
   * error; empty when alive. During a stop, threads ending is expected and not reported.
   */
  public List<String> failures() {
    return stopping ? List.of() : vitals.failures();
  }

  /** Both listeners are up. */
  public void started() {
    started = true;
  }

  /** A stop began: not ready from now on, and public connections close once their answer is written. */
  public void stopping() {
    stopping = true;
  }

  public boolean isStopping() {
    return stopping;
  }

  /**
   * The answer to {@code /healthz}: 200 {@code {"status":"ok"}} when alive, else 503 {@code
   * {"status":"failing","failures":[...]}}.
   */
  public Liveness liveness(ObjectMapper json) {
    List<String> failures = failures();
    ObjectNode body = json.createObjectNode().put("status", failures.isEmpty() ? "ok" : "failing");
    if (!failures.isEmpty()) {
      failures.forEach(body.putArray("failures")::add);
    }
    try {
      return new Liveness(failures.isEmpty() ? 200 : 503, json.writeValueAsBytes(body));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** An answer to {@code /healthz}. */
  public record Liveness(int status, byte[] body) {}

  /** What readiness is made of, at this moment. */
  public Readiness readiness() {
    StoreStats stats = store.stats();
    return new Readiness(started, store.snapshot() != null, stats.reachable(), stats.lastContact(), stopping,
        failures());
  }

  /**
   * @param listening both listeners are up
   * @param snapshotLoaded the license snapshot is in memory
   * @param storeReachable the store's database answered its last look
   * @param lastContact when it last answered; null for SQLite
   * @param stopping a stop began
   * @param failures what keeps the process from being alive ({@link #failures()})
   */
  public record Readiness(boolean listening, boolean snapshotLoaded, boolean storeReachable, Instant lastContact,
      boolean stopping, List<String> failures) {
    public boolean ready() {
      return listening && snapshotLoaded && !stopping && failures.isEmpty();
    }
  }
}
