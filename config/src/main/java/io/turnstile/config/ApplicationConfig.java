package io.turnstile.config;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * An application a license can grant versions of.
 *
 * @param name the application's name, used by licenses
 * @param repositories what a version of this application unlocks; at least one
 */
public record ApplicationConfig(String name, List<RepositoryConfig> repositories) {
  public ApplicationConfig {
    Check.simpleName("name", name);
    repositories = Check.list(repositories);
    if (repositories.isEmpty()) {
      throw new InvalidValueException("repositories", "must list at least one repository");
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < repositories.size(); i++) {
      if (!seen.add(repositories.get(i).name())) {
        throw new InvalidValueException(
            "repositories[" + i + "].name", "'" + repositories.get(i).name() + "' is listed twice");
      }
    }
  }
}
