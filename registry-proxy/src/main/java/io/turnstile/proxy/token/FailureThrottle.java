package io.turnstile.proxy.token;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.EstimationProbe;
import java.time.Duration;

/**
 * A budget of failures per key (a client address, say) that refills continuously over a period:
 * a token bucket from Bucket4j per key. A key gets a bucket at its first failure only, and asking
 * whether a budget is spent stores nothing, so a client that is refused, throttled or right adds
 * nothing; at most {@code maxTracked} keys are kept, the least recent going first. Keys should be
 * of a fixed size, so the bound in entries is one in bytes. Thread-safe.
 */
public final class FailureThrottle<K> {
  private final int perPeriod;
  private final Duration period;
  private final Cache<K, Bucket> buckets;

  /**
   * @param perPeriod failures one key may have per {@code period}
   * @param maxTracked most keys remembered
   */
  public FailureThrottle(int perPeriod, Duration period, int maxTracked) {
    this.perPeriod = perPeriod;
    this.period = period;
    // A bucket left alone for a whole period is full again: forgetting it changes nothing.
    this.buckets = Caffeine.newBuilder().maximumSize(maxTracked).expireAfterAccess(period.plusSeconds(1)).build();
  }

  /** Whole seconds until {@code key} may try again, at least 1; 0 while its budget is not spent. */
  public long secondsToWait(K key) {
    Bucket bucket = buckets.getIfPresent(key);
    if (bucket == null) {
      return 0;
    }
    EstimationProbe probe = bucket.estimateAbilityToConsume(1);
    return probe.canBeConsumed() ? 0 : Math.max(1, Duration.ofNanos(probe.getNanosToWaitForRefill()).toSeconds() + 1);
  }

  /** Counts one failure of {@code key}. */
  public void failed(K key) {
    buckets.get(key, k -> Bucket.builder()
        .addLimit(Bandwidth.builder().capacity(perPeriod).refillGreedy(perPeriod, period).build())
        .build()).tryConsume(1);
  }

  /** Keys remembered now. */
  public long tracked() {
    buckets.cleanUp();
    return buckets.estimatedSize();
  }
}
