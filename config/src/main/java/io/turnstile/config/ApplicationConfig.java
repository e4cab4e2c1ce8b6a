package io.turnstile.config;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * An application a license can grant versions of.
 *
 * @param name the application's name, used by licenses
 * @param repositories what a version of this application unlocks; at least one
 * @param endOfLife the versions the vendor no longer supports, for the console's fleet view: each an
 *     exact version ({@code 1.0.0}) or a range in npm's syntax ({@code 1.x}, {@code <2.0.0}); a
 *     version is end of life when it equals an entry or, being a semantic version, lies in an entry's
 *     range (pre-releases included). Default none. Here only the characters and length are checked;
 *     the server reads each range when it starts and refuses to start on one it cannot read.
 * @param entitlements the fields a license of this application carries for the application itself
 *     (seats, features, ...), in the order files and pages show them; default none
 * @param limits the fair-use limits of its licenses, each of which a license may override; default none
 */
public record ApplicationConfig(String name, List<RepositoryConfig> repositories, List<String> endOfLife,
    List<EntitlementField> entitlements, LimitsConfig limits) {
  /** Longest entry of {@link #endOfLife}, as long as a license's range may be. */
  public static final int MAX_END_OF_LIFE = 256;
  private static final Pattern VERSION_OR_RANGE = Pattern.compile("[0-9A-Za-z.*+^~<>=|_ -]+");

  public ApplicationConfig {
    Check.simpleName("name", name);
    limits = limits == null ? LimitsConfig.none() : limits;
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
    endOfLife = Check.list(endOfLife);
    Set<String> entries = new HashSet<>();
    for (int i = 0; i < endOfLife.size(); i++) {
      String entry = endOfLife.get(i);
      String field = "endOfLife[" + i + "]";
      Check.required(field, entry);
      if (entry.length() > MAX_END_OF_LIFE || !VERSION_OR_RANGE.matcher(entry).matches()) {
        throw new InvalidValueException(field, "'" + entry + "' is not a version or a version range"
            + " (e.g. 1.0.0, 1.x, <2.0.0; at most " + MAX_END_OF_LIFE + " characters)");
      }
      if (!entries.add(entry.strip())) {
        throw new InvalidValueException(field, "'" + entry + "' is listed twice");
      }
    }
    entitlements = Check.list(entitlements);
    Set<String> fields = new HashSet<>();
    for (int i = 0; i < entitlements.size(); i++) {
      Check.required("entitlements[" + i + "]", entitlements.get(i));
      if (!fields.add(entitlements.get(i).name())) {
        throw new InvalidValueException("entitlements[" + i + "].name",
            "'" + entitlements.get(i).name() + "' is listed twice");
      }
    }
  }

  /** An application with no version marked end of life. */
  public ApplicationConfig(String name, List<RepositoryConfig> repositories) {
    this(name, repositories, List.of());
  }

  /** An application without entitlement fields or fair-use limits. */
  public ApplicationConfig(String name, List<RepositoryConfig> repositories, List<String> endOfLife) {
    this(name, repositories, endOfLife, List.of(), null);
  }

  /** An application without fair-use limits. */
  public ApplicationConfig(String name, List<RepositoryConfig> repositories, List<String> endOfLife,
      List<EntitlementField> entitlements) {
    this(name, repositories, endOfLife, entitlements, null);
  }

  /** An application without entitlement fields. */
  public ApplicationConfig(String name, List<RepositoryConfig> repositories, List<String> endOfLife,
      LimitsConfig limits) {
    this(name, repositories, endOfLife, List.of(), limits);
  }
}
