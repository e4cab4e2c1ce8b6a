package io.turnstile.proxy.access;

import io.turnstile.config.UpstreamConfig;
import io.turnstile.store.Grant;
import io.turnstile.store.License;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Where a granted repository is read from: its upstream, path and credentials. */
final class Sources {
  private final Map<String, UpstreamConfig> upstreams = new HashMap<>();

  Sources(List<UpstreamConfig> upstreams) {
    upstreams.forEach(u -> this.upstreams.put(u.name(), u));
  }

  /** The repository read with {@code license}'s own upstream credentials, else the upstream's. */
  ClosureCache.Source source(Grant grant, License license) {
    UpstreamConfig upstream = upstreams.get(grant.repository().upstream());
    return ClosureCache.Source.of(upstream, grant.repository().repository(), license.upstreamCredentials());
  }

  /** The repository read for content no tag names (digests, blobs, referrers): the first license's way. */
  ClosureCache.Source untagged(Grant grant) {
    return source(grant, grant.firstLicense());
  }
}
