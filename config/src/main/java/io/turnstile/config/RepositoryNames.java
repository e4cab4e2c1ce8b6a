package io.turnstile.config;

import java.util.regex.Pattern;

/**
 * The distribution spec's repository-name grammar, written once: lowercase path components
 * separated by {@code /}, each of letters and digits joined by {@code .}, {@code _}, {@code __} or
 * dashes, at most {@value #MAX_LENGTH} characters in all. The configuration, the registry's path
 * parser and the token scopes all check names with it.
 */
public final class RepositoryNames {
  /** Longest repository name. */
  public static final int MAX_LENGTH = 255;

  /** One path component. */
  public static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");

  /** A whole name. */
  public static final Pattern NAME = Pattern.compile(COMPONENT.pattern() + "(?:/" + COMPONENT.pattern() + ")*");

  private RepositoryNames() {}

  /** Whether {@code name} is a valid repository name. */
  public static boolean isValid(String name) {
    return name != null && name.length() <= MAX_LENGTH && NAME.matcher(name).matches();
  }
}
