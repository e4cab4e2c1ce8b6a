package io.turnstile.proxy.access;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Manifests answered by tag from the digest the tag last had, because its upstream failed: counted
 * per upstream ({@code turnstile_upstream_stale_served_total}) and said in a warning at most once
 * a minute per upstream, with how many such answers the minute held.
 */
final class StaleAnswers {
  private static final Logger log = LoggerFactory.getLogger(StaleAnswers.class);
  static final long WARN_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

  private final MeterRegistry meters;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> lastWarned = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> sinceWarned = new ConcurrentHashMap<>();

  /** Registers the counter of every upstream in {@code upstreams}, so it reads 0 before the first outage. */
  StaleAnswers(MeterRegistry meters, Iterable<String> upstreams) {
    this.meters = meters;
    upstreams.forEach(this::counter);
  }

  /** A manifest of {@code upstream} went out by the last known digest of {@code tag}, because of {@code why}. */
  void served(String upstream, String repository, String tag, String why) {
    counter(upstream).increment();
    long n = sinceWarned.computeIfAbsent(upstream, u -> new AtomicLong()).incrementAndGet();
    AtomicLong last = lastWarned.computeIfAbsent(upstream, u -> new AtomicLong(System.nanoTime() - WARN_EVERY_NANOS));
    long then = last.get();
    long now = System.nanoTime();
    if (now - then >= WARN_EVERY_NANOS && last.compareAndSet(then, now)) {
      sinceWarned.get(upstream).addAndGet(-n);
      log.warn("upstream {} failed ({}); answering from the manifests and blobs kept on disk, by the digest each tag "
          + "last had (e.g. {}:{}); {} such answers since the last warning", upstream, why, repository, tag, n);
    }
  }

  private Counter counter(String upstream) {
    return counters.computeIfAbsent(upstream, u -> Counter.builder("turnstile.upstream.stale.served")
        .description("Manifests answered by tag from the digest the tag last had, because the upstream failed "
            + "(unreachable, timed out, 5xx or 429)")
        .tag("upstream", u).register(meters));
  }
}
