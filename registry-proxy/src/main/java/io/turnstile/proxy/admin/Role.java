package io.turnstile.proxy.admin;

import java.util.Locale;

/**
 * What a vendor-side caller may do, each role including the ones below it: a {@link #VIEWER} reads
 * customers, licenses, history, pulls and the activity log; an {@link #EDITOR} also creates and
 * edits customers, licenses, grants and keys; an {@link #ADMIN} also manages signing keys, other
 * people's API tokens and settings.
 */
public enum Role {
  VIEWER, EDITOR, ADMIN;

  /** Whether this role may do what {@code needed} may. */
  public boolean includes(Role needed) {
    return compareTo(needed) >= 0;
  }

  /** The role's name as configuration, the API and pages write it: {@code viewer}, {@code editor}, {@code admin}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The role named {@code label} ({@link #label()}'s form), or {@code null} when there is none. */
  public static Role ofLabel(String label) {
    for (Role r : values()) {
      if (r.label().equals(label)) {
        return r;
      }
    }
    return null;
  }
}
