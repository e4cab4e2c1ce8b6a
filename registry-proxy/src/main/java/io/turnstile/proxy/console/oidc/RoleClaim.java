package io.turnstile.proxy.console.oidc;

import io.turnstile.config.OidcRoles;
import io.turnstile.proxy.admin.Role;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The console role a person's verified claim gives: the claim's values (a string or a list of
 * strings, e.g. the groups the provider puts in the ID token) matched against {@code admin.oidc.roles};
 * the highest role any value maps to, or none.
 */
final class RoleClaim {
  private final String name;
  private final OidcRoles roles;

  RoleClaim(String name, OidcRoles roles) {
    this.name = name;
    this.roles = roles;
  }

  /** The claim's name, e.g. {@code groups}. */
  String name() {
    return name;
  }

  /** The claim's values as strings: none when it is absent or of another shape. */
  static List<String> values(Object claim) {
    List<String> out = new ArrayList<>();
    if (claim instanceof String s) {
      out.add(s);
    } else if (claim instanceof Collection<?> c) {
      for (Object o : c) {
        if (o instanceof String s) {
          out.add(s);
        }
      }
    }
    return out;
  }

  /** The highest role one of {@code values} maps to, or null when none does. */
  Role roleOf(List<String> values) {
    for (String v : values) {
      if (roles.admin().contains(v)) {
        return Role.ADMIN;
      }
    }
    for (String v : values) {
      if (roles.editor().contains(v)) {
        return Role.EDITOR;
      }
    }
    for (String v : values) {
      if (roles.viewer().contains(v)) {
        return Role.VIEWER;
      }
    }
    return null;
  }
}
