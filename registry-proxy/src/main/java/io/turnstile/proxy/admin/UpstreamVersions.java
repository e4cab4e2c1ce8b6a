package io.turnstile.proxy.admin;

import io.turnstile.config.ApplicationConfig;
import io.turnstile.config.RepositoryConfig;
import io.turnstile.config.TurnstileConfig;
import io.turnstile.proxy.upstream.UpstreamTags;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;

/**
 * The versions of an application known at its upstream: the tags of its first repository that
 * match one of that repository's tag templates, read back to the version they stand for. Blocks
 * while the tags are listed, so it runs on the admin API's blocking executor.
 */
public final class UpstreamVersions implements VersionSource {
  private final TurnstileConfig config;
  private final UpstreamTags tags;

  public UpstreamVersions(TurnstileConfig config, UpstreamTags tags) {
    this.config = config;
    this.tags = tags;
  }

  @Override
  public List<String> versions(ApplicationConfig application) throws IOException, InterruptedException {
    RepositoryConfig first = application.repositories().get(0);
    var upstream = config.upstream(first.upstream()).orElseThrow();
    List<String> listed;
    try {
      listed = tags.tags(upstream, first.repository()).get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new IOException(cause.getMessage(), cause);
    }
    Set<String> versions = new LinkedHashSet<>();
    for (String tag : listed) {
      List<String> candidates = first.versionsOf(tag);
      if (!candidates.isEmpty()) {
        versions.add(candidates.get(0));
      }
    }
    return new ArrayList<>(versions);
  }
}
