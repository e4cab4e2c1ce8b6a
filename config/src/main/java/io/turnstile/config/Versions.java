package io.turnstile.config;

import java.util.regex.Pattern;

/** The grammar of application versions and of the OCI tags they map to. */
public final class Versions {
  /** OCI distribution tag grammar. */
  public static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");

  /** A version: a tag, where '+' (semver build metadata) is also allowed. */
  public static final Pattern VERSION = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._+-]{0,127}");

  private Versions() {}

  public static boolean isValidVersion(String version) {
    return version != null && VERSION.matcher(version).matches();
  }

  public static boolean isValidTag(String tag) {
    return tag != null && TAG.matcher(tag).matches();
  }

  /**
   * The tag fragment a version stands for: Helm stores chart version {@code 1.0.0+build} under the
   * OCI tag {@code 1.0.0_build}, since '+' is not allowed in tags.
   */
  public static String tagForm(String version) {
    return version.replace('+', '_');
  }
}
