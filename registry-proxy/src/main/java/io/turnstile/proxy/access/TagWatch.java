package io.turnstile.proxy.access;

import io.turnstile.config.ApplicationConfig;
import io.turnstile.config.Durations;
import io.turnstile.config.RepositoryConfig;
import io.turnstile.config.TurnstileConfig;
import io.turnstile.config.UpstreamConfig;
import io.turnstile.proxy.upstream.UpstreamTags;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lists every configured repository's tags at its upstream every {@code cache.tagWatch} (with the
 * upstream's own credentials) and hands them to {@link TagSightings}: a release is dated when it
 * appears upstream, not only when a customer first pulls or lists it, so a license that keeps the
 * releases made before its expiry keeps those nobody pulled in time too. Each replica watches;
 * the store keeps the first date written, and each watch also teaches a replica the dates others
 * wrote.
 */
public final class TagWatch implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TagWatch.class);

  private final TurnstileConfig config;
  private final UpstreamTags tags;
  private final TagSightings sightings;
  private final ScheduledExecutorService timer;
  private volatile boolean failing;

  private TagWatch(TurnstileConfig config, UpstreamTags tags, TagSightings sightings) {
    this.config = config;
    this.tags = tags;
    this.sightings = sightings;
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "turnstile-tag-watch");
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts watching at once and then every {@code cache.tagWatch}; null when that is 0. */
  public static TagWatch start(TurnstileConfig config, UpstreamTags tags, TagSightings sightings) {
    Duration every = config.cache().tagWatch();
    if (every.isZero()) {
      return null;
    }
    TagWatch w = new TagWatch(config, tags, sightings);
    w.timer.scheduleWithFixedDelay(w::watchOnce, 0, every.toMillis(), TimeUnit.MILLISECONDS);
    return w;
  }

  private void watchOnce() {
    for (ApplicationConfig app : config.applications()) {
      for (RepositoryConfig repo : app.repositories()) {
        UpstreamConfig upstream = config.upstream(repo.upstream()).orElse(null);
        if (upstream == null) {
          continue;
        }
        try {
          sightings.saw(repo.name(), tags.tags(upstream, repo.repository()).get(60, TimeUnit.SECONDS));
          failing = false;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        } catch (Exception e) {
          if (!failing) {
            failing = true;
            log.warn("cannot list the tags of {} at its upstream to date new releases ({}); trying again in {}",
                repo.name(), e.getCause() == null ? e.getMessage() : e.getCause().getMessage(),
                Durations.format(config.cache().tagWatch()));
          }
        }
      }
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
