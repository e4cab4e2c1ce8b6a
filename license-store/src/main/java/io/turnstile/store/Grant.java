package io.turnstile.store;

import io.turnstile.config.RepositoryConfig;
import io.turnstile.config.Versions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a caller holds on one repository, decided once per request from the snapshot: the
 * repository's catalog entry and the caller's valid licenses for its application. Immutable; every
 * question a pull asks about the repository is answered from it, with no further trip to the store.
 */
public final class Grant {
  private final Catalog.Entry entry;
  private final List<License> licenses;

  Grant(Catalog.Entry entry, List<License> licenses) {
    this.entry = entry;
    this.licenses = List.copyOf(licenses);
  }

  /** The repository as configured: customer-facing name, upstream, upstream path, tag templates. */
  public RepositoryConfig repository() {
    return entry.repository();
  }

  /** The valid licenses covering the repository, the first of them first. */
  public List<License> licenses() {
    return licenses;
  }

  /** The license whose upstream credentials read untagged content (digests, blobs, referrers). */
  public License firstLicense() {
    return licenses.get(0);
  }

  /** The license granting {@code tag}, if any: a version whose tag template gives exactly {@code tag}. */
  public Optional<License> licenseForTag(String tag) {
    return Optional.ofNullable(licenseForTag(entry, licenses, tag));
  }

  /**
   * The version of {@code license} that grants {@code tag} here, as the license writes it (with a
   * '+' where the tag has '_'); null when none does.
   */
  public String grantedVersion(License license, String tag) {
    for (String candidate : entry.repository().versionsOf(tag)) {
      if (license.grantsTagForm(candidate)) {
        for (String v : license.versions()) {
          if (v.equals(candidate) || (v.indexOf('+') >= 0 && Versions.tagForm(v).equals(candidate))) {
            return v;
          }
        }
      }
    }
    return null;
  }

  public boolean allowsTag(String tag) {
    return licenseForTag(entry, licenses, tag) != null;
  }

  /** Every tag granted here, in version order, with the license granting it. */
  public Map<String, License> grantedTags() {
    Map<String, License> tags = new LinkedHashMap<>();
    for (License l : licenses) {
      for (String v : l.versions()) {
        for (String tag : entry.repository().tagsFor(v)) {
          tags.putIfAbsent(tag, l);
        }
      }
    }
    return tags;
  }

  /** The grant of {@code licenses} (any applications) on {@code entry}'s repository; null if none covers it. */
  static Grant of(Catalog.Entry entry, List<License> licenses) {
    List<License> covering = new ArrayList<>(1);
    for (License l : licenses) {
      if (l.application().equals(entry.application().name())) {
        covering.add(l);
      }
    }
    return covering.isEmpty() ? null : new Grant(entry, covering);
  }

  /**
   * The first of {@code licenses} whose application owns {@code entry} and which grants {@code tag};
   * null when none does. Allocates nothing but the tag's candidate versions.
   */
  static License licenseForTag(Catalog.Entry entry, List<License> licenses, String tag) {
    List<String> candidates = entry.repository().versionsOf(tag);
    if (candidates.isEmpty()) {
      return null;
    }
    for (License l : licenses) {
      if (l.application().equals(entry.application().name())) {
        for (String v : candidates) {
          if (l.grantsTagForm(v)) {
            return l;
          }
        }
      }
    }
    return null;
  }
}
