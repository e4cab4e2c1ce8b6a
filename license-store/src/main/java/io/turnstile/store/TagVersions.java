package io.turnstile.store;

import io.turnstile.config.RepositoryConfig;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.semver4j.Semver;

/**
 * What the tags of one repository stand for, read through its tag templates once and remembered:
 * an authorization decision on a tag seen before allocates nothing and parses nothing. At most
 * {@value #MAX_ENTRIES} tags are remembered per repository; past that the memory starts over (a
 * caller inventing tags costs a parse each, never memory).
 */
public final class TagVersions {
  static final int MAX_ENTRIES = 16_384;

  /**
   * One tag read back: the versions (in tag form) that could have produced it, one per matching
   * template, and each as a semantic version, or null where it is not one.
   */
  public record Parsed(List<String> candidates, Semver[] semvers) {
    static final Parsed NONE = new Parsed(List.of(), new Semver[0]);

    public boolean isEmpty() {
      return candidates.isEmpty();
    }
  }

  private final RepositoryConfig repository;
  private final ConcurrentHashMap<String, Parsed> known = new ConcurrentHashMap<>();

  public TagVersions(RepositoryConfig repository) {
    this.repository = repository;
  }

  /** {@code tag} read back through the templates. */
  public Parsed parse(String tag) {
    Parsed p = known.get(tag);
    if (p == null) {
      p = read(tag);
      if (known.size() >= MAX_ENTRIES) {
        known.clear();
      }
      known.put(tag, p);
    }
    return p;
  }

  private Parsed read(String tag) {
    List<String> candidates = repository.versionsOf(tag);
    if (candidates.isEmpty()) {
      return Parsed.NONE;
    }
    Semver[] semvers = new Semver[candidates.size()];
    for (int i = 0; i < semvers.length; i++) {
      semvers[i] = semver(candidates.get(i));
    }
    return new Parsed(List.copyOf(candidates), semvers);
  }

  /**
   * The semantic version a version in tag form stands for ({@code 1.0.0_build.5} is {@code
   * 1.0.0+build.5}, as Helm tags charts), or null when it is not one. Only the canonical form
   * counts: semver4j also reads {@code v1.0.0} and {@code " 1.0.0"}, which a template such as
   * {@code v{version}} must say, not the parser.
   */
  public static Semver semver(String tagVersion) {
    int underscore = tagVersion.indexOf('_');
    String version = underscore < 0 ? tagVersion
        : tagVersion.substring(0, underscore) + '+' + tagVersion.substring(underscore + 1);
    Semver s = Semver.parse(version);
    return s != null && s.getVersion().equals(version) ? s : null;
  }
}
