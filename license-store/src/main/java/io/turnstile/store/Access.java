package io.turnstile.store;

import io.turnstile.config.RepositoryConfig;
import java.util.LinkedHashSet;
import java.util.List;
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

  /**
   * The caller's grant on {@code repository}: the one question a registry request asks; null when
   * no valid license covers it or the repository is not configured.
   */
  public Grant grant(String repository) {
    Catalog.Entry entry = catalog.repository(repository);
    return entry == null ? null : Grant.of(entry, licenses);
  }

  /** Whether a valid license grants {@code tag} of {@code repository}. */
  public boolean allowsTag(String repository, String tag) {
    Catalog.Entry entry = catalog.repository(repository);
    return entry != null && Grant.licenseForTag(entry, licenses, tag) != null;
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
