package io.turnstile.proxy.admin;

import java.util.Objects;

/**
 * Who makes a vendor-side call, as a verified credential says, never as the client claims: the
 * holder of the break-glass {@code admin.token}, a person signed in through the identity provider,
 * or a personal API token. {@link #recorded()} is how history and the activity log name it.
 *
 * @param kind which credential proved it
 * @param name the person's verified name (e-mail or subject), or the API token's name and owner;
 *     unused for {@link Kind#ADMIN_TOKEN}
 * @param role what the credential allows
 */
public record Actor(Kind kind, String name, Role role) {
  /** The credential behind a call. */
  public enum Kind { ADMIN_TOKEN, PERSON, API_TOKEN }

  /** The holder of {@code admin.token}: the bootstrap and break-glass credential, with the admin role. */
  public static final Actor ADMIN_TOKEN = new Actor(Kind.ADMIN_TOKEN, "admin-token", Role.ADMIN);

  public Actor {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(role, "role");
  }

  /** The actor as history and the activity log record it. */
  public String recorded() {
    return switch (kind) {
      case ADMIN_TOKEN -> "admin-token";
      case PERSON -> name;
      case API_TOKEN -> "api-token:" + name;
    };
  }
}
