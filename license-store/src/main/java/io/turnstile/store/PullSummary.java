package io.turnstile.store;

import java.time.Instant;
import java.util.List;

/**
 * What a license or a customer has pulled: the last pull and the versions pulled lately.
 *
 * @param last the time of the last recorded pull; null when none is recorded
 * @param versions the versions pulled since the summary's start, by application and version
 */
public record PullSummary(Instant last, List<PulledVersion> versions) {
  public PullSummary {
    versions = List.copyOf(versions);
  }

  /** A version pulled, and when last. */
  public record PulledVersion(String application, String version, Instant last) {}
}
