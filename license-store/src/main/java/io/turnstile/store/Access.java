package io.turnstile.store;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a principal may pull right now: the licenses that grant something at the moment of the
 * decision. Tags are checked against the licenses' versions and ranges through the repositories'
 * tag templates, so nothing is expanded ahead of time and a decision allocates nothing on the
 * common path.
 *
 * <p>A license past its expiry that keeps what was released before it ({@link
 * License#keepReleasedBeforeExpiry()}) is among the licenses, marked as kept: it grants only tags
 * that Turnstile saw before the expiry ({@link TagsSeen}).
 */
public final class Access implements AuthResult {
  private final Principal principal;
  private final List<License> licenses;
  private final Set<LicenseId> kept;
  private final Catalog catalog;
  private final TagsSeen seen;

  Access(Principal principal, List<License> licenses, Set<LicenseId> kept, Catalog catalog, TagsSeen seen) {
    this.principal = principal;
    this.licenses = List.copyOf(licenses);
    this.kept = Set.copyOf(kept);
    this.catalog = catalog;
    this.seen = seen;
  }

  public Principal principal() {
    return principal;
  }

  /** The licenses that grant something at the time of this decision, kept ones included. */
  public List<License> licenses() {
    return licenses;
  }

  /** Whether {@code license} is past its expiry and grants only what was released before it. */
  public boolean isKept(LicenseId license) {
    return !kept.isEmpty() && kept.contains(license);
  }

  /** Whether any license here covers the application that owns {@code repository}. */
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
   * no license here covers it or the repository is not configured.
   */
  public Grant grant(String repository) {
    Catalog.Entry entry = catalog.repository(repository);
    return entry == null ? null : Grant.of(entry, licenses, kept, seen);
  }

  /** Whether a license here grants {@code tag} of {@code repository}. */
  public boolean allowsTag(String repository, String tag) {
    Catalog.Entry entry = catalog.repository(repository);
    return entry != null && Grant.licenseForTag(entry, licenses, kept, seen, tag) != null;
  }

  /**
   * Every tag the exact versions granted here produce in {@code repository}, in version order.
   * Tags granted by a range are known only from the upstream's tag list: see {@link
   * Grant#grantedTags(java.util.Collection)}.
   */
  public Set<String> grantedTags(String repository) {
    Grant g = grant(repository);
    return g == null ? new LinkedHashSet<>() : new LinkedHashSet<>(g.grantedTags().keySet());
  }

  /** The customer-facing names of every repository of every application a license here covers. */
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
    return "Access[" + principal.username() + ", licenses=" + licenses.size()
        + (kept.isEmpty() ? "" : ", kept after expiry=" + kept.size()) + "]";
  }
}
