package io.turnstile.config;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A repository unlocked by each version of an application.
 *
 * @param name the path customers pull, e.g. {@code vendor/app}
 * @param upstream the name of the upstream registry holding it
 * @param repository the path at the upstream; default {@code name}
 * @param tags tag templates a version grants; default {@code ["{version}"]}. Each contains {@code
 *     {version}} exactly once, e.g. {@code v{version}} or {@code {version}-debug}.
 */
public record RepositoryConfig(String name, String upstream, String repository, List<String> tags) {
  public static final String PLACEHOLDER = "{version}";

  public RepositoryConfig {
    Check.repositoryName("name", name);
    Check.simpleName("upstream", upstream);
    repository = repository == null ? name : Check.repositoryName("repository", repository);
    tags = tags == null || tags.isEmpty() ? List.of(PLACEHOLDER) : List.copyOf(tags);
    for (int i = 0; i < tags.size(); i++) {
      String t = tags.get(i);
      String field = "tags[" + i + "]";
      if (t == null || t.indexOf(PLACEHOLDER) < 0 || t.indexOf(PLACEHOLDER) != t.lastIndexOf(PLACEHOLDER)) {
        throw new InvalidValueException(field, "must contain {version} exactly once");
      }
      if (!Versions.isValidTag(t.replace(PLACEHOLDER, "1.0.0"))) {
        throw new InvalidValueException(field, "'" + t + "' does not expand to a valid OCI tag");
      }
    }
  }

  /**
   * The tags a version grants in this repository, in template order. A version whose expansion is
   * not a valid tag grants nothing.
   */
  public Set<String> tagsFor(String version) {
    Set<String> out = new LinkedHashSet<>();
    String v = Versions.tagForm(version);
    for (String t : tags) {
      String tag = t.replace(PLACEHOLDER, v);
      if (Versions.isValidTag(tag)) {
        out.add(tag);
      }
    }
    return out;
  }

  /** The versions (in tag form) that could have produced {@code tag}, one per matching template. */
  public List<String> versionsOf(String tag) {
    List<String> out = new ArrayList<>(1);
    for (String t : tags) {
      int at = t.indexOf(PLACEHOLDER);
      String prefix = t.substring(0, at);
      String suffix = t.substring(at + PLACEHOLDER.length());
      if (tag.length() > prefix.length() + suffix.length()
          && tag.startsWith(prefix)
          && tag.endsWith(suffix)) {
        out.add(tag.substring(prefix.length(), tag.length() - suffix.length()));
      }
    }
    return out;
  }
}
