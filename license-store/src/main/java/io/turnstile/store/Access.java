package io.turnstile.store;

import io.turnstile.config.RepositoryConfig;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What a principal may pull right now: the licenses valid at the moment of the decision. Tags are
 * checked against the licenses' versions through the repositories' tag templates, so nothing is
 * expanded ahead of time and a decision allocates nothing on the common path.
 */
public final class Access implements AuthResult {
  private final Principal principal;
  private final List<License> licenses;
  private final Catalog catalog;

  Access(Principal principal, List<License> licenses, Catalog catalog) {
    this.principal = principal;
    this.licenses = List.copyOf(licenses);
    this.catalog = catalog;
  }

  public Principal principal() {
    return principal;
  }

  /** The licenses that were valid when this access was decided. */
  public List<License> licenses() {
    return licenses;
  }

  /** Whether any valid license covers the application that owns {@code repository}. */
  public boolean allowsRepository(String repository) {
    Catalog.Entry entry = catalog.repository(repository);
    if (entry == null) {
      return false;
    }
    for (License l : licenses) {
      if (l.application().equals(entry.application().name())) {
        return true;
      }
    }
    return false;
  }

  /** The valid licenses for the application that owns {@code repository}. */
  public List<License> licensesFor(String repository) {
    Catalog.Entry entry = catalog.repository(repository);
    List<License> out = new ArrayList<>(1);
    if (entry != null) {
      for (License l : licenses) {
        if (l.application().equals(entry.application().name())) {
          out.add(l);
        }
      }
    }
    return out;
  }

  /**
   * The license granting {@code tag} of {@code repository}, if any: a version whose tag template
   * expansion is exactly {@code tag}.
   */
  public Optional<License> licenseForTag(String repository, String tag) {
    Catalog.Entry entry = catalog.repository(repository);
    if (entry == null) {
      return Optional.empty();
    }
    List<String> candidates = entry.repository().versionsOf(tag);
    if (candidates.isEmpty()) {
      return Optional.empty();
    }
    for (License l : licenses) {
      if (l.application().equals(entry.application().name())) {
        for (String v : candidates) {
          if (l.grantsTagForm(v)) {
            return Optional.of(l);
          }
        }
      }
    }
    return Optional.empty();
  }

  public boolean allowsTag(String repository, String tag) {
    return licenseForTag(repository, tag).isPresent();
  }

  /** Every tag the valid licenses grant in {@code repository}, in version order. */
  public Set<String> grantedTags(String repository) {
    Catalog.Entry entry = catalog.repository(repository);
    Set<String> tags = new LinkedHashSet<>();
    if (entry != null) {
      RepositoryConfig repo = entry.repository();
      for (License l : licenses) {
        if (l.application().equals(entry.application().name())) {
          for (String v : l.versions()) {
            tags.addAll(repo.tagsFor(v));
          }
        }
      }
    }
    return tags;
  }

  /** The customer-facing names of every repository of every application with a valid license. */
  public Set<String> repositories() {
    Set<String> out = new LinkedHashSet<>();
    for (License l : licenses) {
      catalog.application(l.application())
          .ifPresent(app -> app.repositories().forEach(r -> out.add(r.name())));
    }
    return out;
  }

  @Override
  public String toString() {
    return "Access[" + principal.username() + ", licenses=" + licenses.size() + "]";
  }
}
