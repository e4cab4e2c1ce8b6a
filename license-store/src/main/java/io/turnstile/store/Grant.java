package io.turnstile.store;

import io.turnstile.config.RepositoryConfig;
import io.turnstile.config.Versions;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.semver4j.Semver;

/**
 * What a caller holds on one repository, decided once per request from the snapshot: the
 * repository's catalog entry and the caller's licenses for its application. Immutable; every
 * question a pull asks about the repository is answered from it, with no further trip to the store.
 */
public final class Grant {
  private final Catalog.Entry entry;
  private final List<License> licenses;
  private final Set<LicenseId> kept;
  private final TagsSeen seen;

  Grant(Catalog.Entry entry, List<License> licenses, Set<LicenseId> kept, TagsSeen seen) {
    this.entry = entry;
    this.licenses = List.copyOf(licenses);
    this.kept = kept;
    this.seen = seen;
  }

  /** The repository as configured: customer-facing name, upstream, upstream path, tag templates. */
  public RepositoryConfig repository() {
    return entry.repository();
  }

  /** The licenses covering the repository, the first of them first. */
  public List<License> licenses() {
    return licenses;
  }

  /** The license whose upstream credentials read untagged content (digests, blobs, referrers). */
  public License firstLicense() {
    return licenses.get(0);
  }

  /**
   * The license granting {@code tag}, if any: one whose exact versions, through a tag template,
   * give exactly {@code tag}, or one with a range holding the version the tag stands for.
   */
  public Optional<License> licenseForTag(String tag) {
    return Optional.ofNullable(licenseForTag(entry, licenses, kept, seen, tag));
  }

  /**
   * The version of {@code license} that grants {@code tag} here, as the license writes it (with a
   * '+' where the tag has '_'); for a tag granted by a range, the version the tag stands for; null
   * when none does.
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
    TagVersions.Parsed parsed = entry.tagVersions().parse(tag);
    for (int i = 0; i < parsed.candidates().size(); i++) {
      Semver semver = parsed.semvers()[i];
      for (VersionRange r : license.ranges()) {
        if (r.matches(semver)) {
          return semver != null ? semver.getVersion() : parsed.candidates().get(i);
        }
      }
    }
    return null;
  }

  public boolean allowsTag(String tag) {
    return licenseForTag(entry, licenses, kept, seen, tag) != null;
  }

  /**
   * Whether some license here grants by range (or every version): then which tags are granted is
   * known only from the upstream's tag list, through {@link #grantedTags(Collection)}.
   */
  public boolean grantsByRange() {
    for (License l : licenses) {
      if (l.hasRanges()) {
        return true;
      }
    }
    return false;
  }

  /**
   * Every tag the exact versions here produce, in version order, with the license granting it.
   * Tags granted by ranges are not among them: see {@link #grantedTags(Collection)}.
   */
  public Map<String, License> grantedTags() {
    Map<String, License> tags = new LinkedHashMap<>();
    for (License l : licenses) {
      for (String v : l.versions()) {
        for (String tag : entry.repository().tagsFor(v)) {
          if (!tags.containsKey(tag) && (!isKept(l) || seen.seenBefore(repository().name(), tag, l.expiresAt()))) {
            tags.put(tag, l);
          }
        }
      }
    }
    return tags;
  }

  /** Of {@code existing} (the upstream's tags), those granted here, in the given order, with the license granting each. */
  public Map<String, License> grantedTags(Collection<String> existing) {
    Map<String, License> tags = new LinkedHashMap<>();
    for (String tag : existing) {
      License l = licenseForTag(entry, licenses, kept, seen, tag);
      if (l != null) {
        tags.putIfAbsent(tag, l);
      }
    }
    return tags;
  }

  private boolean isKept(License l) {
    return !kept.isEmpty() && kept.contains(l.id());
  }

  /** The grant of {@code licenses} (any applications) on {@code entry}'s repository; null if none covers it. */
  static Grant of(Catalog.Entry entry, List<License> licenses, Set<LicenseId> kept, TagsSeen seen) {
    List<License> covering = new ArrayList<>(1);
    for (License l : licenses) {
      if (l.application().equals(entry.application().name())) {
        covering.add(l);
      }
    }
    return covering.isEmpty() ? null : new Grant(entry, covering, kept, seen);
  }

  /**
   * The first of {@code licenses} whose application owns {@code entry} and which grants {@code tag};
   * null when none does. A license in {@code kept} grants only tags seen before its expiry. Allocates
   * nothing once the repository's {@link TagVersions} knows the tag.
   */
  static License licenseForTag(Catalog.Entry entry, List<License> licenses, Set<LicenseId> kept, TagsSeen seen,
      String tag) {
    TagVersions.Parsed parsed = entry.tagVersions().parse(tag);
    if (parsed.isEmpty()) {
      return null;
    }
    String application = entry.application().name();
    for (int i = 0; i < licenses.size(); i++) {
      License l = licenses.get(i);
      if (l.application().equals(application) && l.grants(parsed)
          && (kept.isEmpty() || !kept.contains(l.id())
              || seen.seenBefore(entry.repository().name(), tag, l.expiresAt()))) {
        return l;
      }
    }
    return null;
  }
}
