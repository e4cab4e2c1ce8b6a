package io.turnstile.proxy.access;

import io.turnstile.config.UpstreamConfig;
import io.turnstile.store.Access;
import io.turnstile.store.Catalog;
import io.turnstile.store.License;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Where a customer-facing repository is read from: its upstream, path and credentials. */
final class Sources {
  private final Map<String, UpstreamConfig> upstreams = new HashMap<>();

  Sources(List<UpstreamConfig> upstreams) {
    upstreams.forEach(u -> this.upstreams.put(u.name(), u));
  }

  /** The repository read with {@code license}'s own upstream credentials, else the upstream's. */
  ClosureCache.Source source(Catalog.Entry entry, License license) {
    UpstreamConfig upstream = upstreams.get(entry.repository().upstream());
    return ClosureCache.Source.of(upstream, entry.repository().repository(),
        license == null ? null : license.upstreamCredentials());
  }

  /** The first valid license covering the repository, whose credentials read untagged content. */
  License firstLicense(Access access, Catalog.Entry entry) {
    List<License> ls = access.licensesFor(entry.repository().name());
    return ls.isEmpty() ? null : ls.get(0);
  }
}
