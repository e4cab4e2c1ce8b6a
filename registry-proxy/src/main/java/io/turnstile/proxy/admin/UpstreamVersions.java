package io.turnstile.proxy.admin;

import io.turnstile.config.ApplicationConfig;
import io.turnstile.config.RepositoryConfig;
import io.turnstile.config.TurnstileConfig;
import io.turnstile.proxy.upstream.RegistryHttpClient;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The versions of an application known at its upstream: the tags of its first repository that
 * match one of that repository's tag templates, read back to the version they stand for.
 */
public final class UpstreamVersions implements VersionSource {
  private final TurnstileConfig config;
  private final RegistryHttpClient client;

  public UpstreamVersions(TurnstileConfig config, RegistryHttpClient client) {
    this.config = config;
    this.client = client;
  }

  @Override
  public List<String> versions(ApplicationConfig application) throws IOException, InterruptedException {
    RepositoryConfig first = application.repositories().get(0);
    var upstream = config.upstream(first.upstream()).orElseThrow();
    Set<String> versions = new LinkedHashSet<>();
    for (String tag : client.tags(upstream, first.repository())) {
      List<String> candidates = first.versionsOf(tag);
      if (!candidates.isEmpty()) {
        versions.add(candidates.get(0));
      }
    }
    return new ArrayList<>(versions);
  }
}
