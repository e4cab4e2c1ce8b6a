package io.turnstile.proxy.admin;

import java.util.List;
import java.util.Map;

/**
 * The one place where a vendor-side call's role is decided, for the admin API and the console
 * alike (the console calls the admin API): which role each family of routes needs to read ({@code
 * GET}) and to change (any other method). A family not in the table needs {@link Role#ADMIN}, so a
 * route added without a line here is closed rather than open.
 *
 * <p>API tokens are open to every role here because what may be done to one depends on whose it is;
 * {@code ApiTokensApi} decides that (a token no higher than its maker's role; someone else's token
 * only for an admin).
 */
public final class Permissions {
  /** What a family of routes needs to be read and to be changed. */
  private record Need(Role read, Role change) {}

  private static final Map<String, Need> TABLE = Map.of(
      "customers", new Need(Role.VIEWER, Role.EDITOR),
      "licenses", new Need(Role.VIEWER, Role.EDITOR),
      "applications", new Need(Role.VIEWER, Role.EDITOR),
      "pulls", new Need(Role.VIEWER, Role.EDITOR),
      "activity", new Need(Role.VIEWER, Role.EDITOR),
      "fleet", new Need(Role.VIEWER, Role.ADMIN),
      "signing-keys", new Need(Role.ADMIN, Role.ADMIN),
      "webhooks", new Need(Role.ADMIN, Role.ADMIN),
      "api-tokens", new Need(Role.VIEWER, Role.VIEWER),
      "license-keys", new Need(Role.VIEWER, Role.ADMIN));

  private Permissions() {}

  /** The role that {@code method} on the route whose segments after {@code /admin/v1/} are {@code path} needs. */
  public static Role needed(String method, List<String> path) {
    Need need = path.isEmpty() ? null : TABLE.get(path.get(0));
    if (need == null) {
      return Role.ADMIN;
    }
    return method.equals("GET") || method.equals("HEAD") ? need.read() : need.change();
  }

  /** Whether {@code actor} may call {@code method} on {@code path}; see {@link #needed}. */
  public static boolean allows(Actor actor, String method, List<String> path) {
    return actor.role().includes(needed(method, path));
  }

  /** The message of a refusal: the role needed and the one held. */
  static String refusal(Actor actor, Role needed) {
    return "this needs the " + needed.label() + " role; " + actor.recorded() + " has the " + actor.role().label()
        + " role";
  }
}
