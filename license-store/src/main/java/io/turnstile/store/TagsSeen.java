package io.turnstile.store;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When Turnstile first saw each tag of each repository, as the store recorded it: what a license
 * kept after its expiry ({@link License#keepReleasedBeforeExpiry()}) is decided by. Filled from the
 * store at start-up and whenever the store records a sighting; a time once known never changes,
 * since the store keeps the first one written. Thread-safe; reads allocate nothing.
 */
public final class TagsSeen {
  private static final long UNKNOWN = Long.MIN_VALUE;

  private final ConcurrentHashMap<String, ConcurrentHashMap<String, Long>> byRepository = new ConcurrentHashMap<>();

  /** When {@code tag} of {@code repository} (customer-facing name) was first seen, or null. */
  public Instant firstSeen(String repository, String tag) {
    long at = firstSeenMillis(repository, tag);
    return at == UNKNOWN ? null : Instant.ofEpochMilli(at);
  }

  /** Whether the store has a first sighting of {@code tag}. */
  public boolean knows(String repository, String tag) {
    return firstSeenMillis(repository, tag) != UNKNOWN;
  }

  /**
   * Whether {@code tag} was first seen strictly before {@code deadline}; a tag never seen was not.
   */
  public boolean seenBefore(String repository, String tag, Instant deadline) {
    long at = firstSeenMillis(repository, tag);
    return at != UNKNOWN && at < deadline.toEpochMilli();
  }

  private long firstSeenMillis(String repository, String tag) {
    Map<String, Long> tags = byRepository.get(repository);
    Long at = tags == null ? null : tags.get(tag);
    return at == null ? UNKNOWN : at;
  }

  /** Learns the store's first sighting of a tag; a time already known stays. */
  public void learn(String repository, String tag, Instant firstSeen) {
    byRepository.computeIfAbsent(repository, r -> new ConcurrentHashMap<>()).putIfAbsent(tag, firstSeen.toEpochMilli());
  }

  /** How many tags are known, over all repositories. */
  public int size() {
    int n = 0;
    for (Map<String, Long> tags : byRepository.values()) {
      n += tags.size();
    }
    return n;
  }
}
