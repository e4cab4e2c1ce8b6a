package io.turnstile.store;

import io.turnstile.config.ApplicationConfig;
import io.turnstile.config.RepositoryConfig;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The configured applications, indexed by application and by customer-facing repository name. */
public final class Catalog {
  /**
   * A repository together with the application it belongs to, and what its tags stand for
   * (remembered for the life of the catalog).
   */
  public record Entry(ApplicationConfig application, RepositoryConfig repository, TagVersions tagVersions) {
    public Entry(ApplicationConfig application, RepositoryConfig repository) {
      this(application, repository, new TagVersions(repository));
    }
  }

  private final Map<String, ApplicationConfig> applications = new LinkedHashMap<>();
  private final Map<String, Entry> repositories = new LinkedHashMap<>();

  public Catalog(List<ApplicationConfig> applications) {
    for (ApplicationConfig app : applications) {
      this.applications.put(app.name(), app);
      for (RepositoryConfig repo : app.repositories()) {
        repositories.put(repo.name(), new Entry(app, repo));
      }
    }
  }

  public Optional<ApplicationConfig> application(String name) {
    return Optional.ofNullable(applications.get(name));
  }

  /** The repository customers pull as {@code name}, or null. */
  public Entry repository(String name) {
    return repositories.get(name);
  }

  public Map<String, ApplicationConfig> applications() {
    return Collections.unmodifiableMap(applications);
  }
}
