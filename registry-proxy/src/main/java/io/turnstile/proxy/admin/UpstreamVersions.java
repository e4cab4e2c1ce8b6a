package io.turnstile.proxy.admin;

import io.turnstile.config.ApplicationConfig;
import io.turnstile.config.RepositoryConfig;
import io.turnstile.config.TurnstileConfig;
import io.turnstile.proxy.upstream.UpstreamTags;
import io.turnstile.store.VersionOrder;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;

/**
 * The versions of an application known at its upstream: the tags of any of its repositories that
 * match one of that repository's tag templates, read back to the version they stand for, newest
 * first; {@value #FLOATING} is a tag that moves, not a version. The first repository's tags must be
 * listed; another whose tags cannot be listed adds none. Blocks while the tags are listed, so
 * it runs on the admin API's blocking executor.
 */
public final class UpstreamVersions implements VersionSource {
  private static final String FLOATING = "latest";

  private final TurnstileConfig config;
  private final UpstreamTags tags;

  public UpstreamVersions(TurnstileConfig config, UpstreamTags tags) {
    this.config = config;
    this.tags = tags;
  }

  @Override
  public List<String> versions(ApplicationConfig application) throws IOException, InterruptedException {
    Set<String> versions = new LinkedHashSet<>();
    for (RepositoryConfig repository : application.repositories()) {
      var upstream = config.upstream(repository.upstream()).orElseThrow();
      List<String> listed;
      try {
        listed = tags.tags(upstream, repository.repository()).get();
      } catch (ExecutionException e) {
        if (repository != application.repositories().get(0)) {
          continue;
        }
        Throwable cause = e.getCause() == null ? e : e.getCause();
        throw new IOException(cause.getMessage(), cause);
      }
      for (String tag : listed) {
        List<String> candidates = repository.versionsOf(tag);
        if (!candidates.isEmpty() && !candidates.get(0).equals(FLOATING)) {
          versions.add(candidates.get(0));
        }
      }
    }
    List<String> sorted = new ArrayList<>(versions);
    sorted.sort(VersionOrder.NEWEST_FIRST);
    return sorted;
  }
}
