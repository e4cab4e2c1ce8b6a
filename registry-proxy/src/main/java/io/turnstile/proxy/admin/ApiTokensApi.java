package io.turnstile.proxy.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.turnstile.store.ApiToken;
import io.turnstile.store.ApiTokens;
import io.turnstile.store.IssuedApiToken;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * {@code /admin/v1/api-tokens}: personal API tokens. Anyone signed in makes tokens of their own, with
 * a role no higher than theirs, lists theirs and revokes theirs; an admin lists and revokes everyone's.
 * A token's secret is in the answer that creates it and nowhere else. API tokens themselves manage
 * none: a leaked token must not be able to outlive its own revocation by minting another.
 */
final class ApiTokensApi {
  private final ApiTokens tokens;
  private final ObjectMapper json;
  private final Clock clock;

  ApiTokensApi(ApiTokens tokens, ObjectMapper json, Clock clock) {
    this.tokens = tokens;
    this.json = json;
    this.clock = clock;
  }

  /** Serves a call whose path segments {@code p} start with {@code api-tokens}. */
  AdminResponse route(String method, List<String> p, byte[] body, Actor actor) {
    if (actor.kind() == Actor.Kind.API_TOKEN) {
      throw new ApiError(403, "API tokens are managed in the console or with admin.token, not with an API token");
    }
    int n = p.size();
    if (n == 1) {
      return switch (method) {
        case "GET" -> list(actor);
        case "POST" -> create(body, actor);
        default -> throw ApiError.notAllowed("GET, POST");
      };
    }
    if (n == 2) {
      if (!method.equals("DELETE")) {
        throw ApiError.notAllowed("DELETE");
      }
      ApiToken t = tokens.get(p.get(1));
      if (!mayManage(actor, t)) {
        throw new ApiError(403, Permissions.refusal(actor, Role.ADMIN) + " (the token is " + t.owner() + "'s)");
      }
      return AdminResponse.ok(view(tokens.revoke(t.id(), actor.recorded())));
    }
    throw new ApiError(404, "no such admin resource");
  }

  private AdminResponse list(Actor actor) {
    ObjectNode out = json.createObjectNode();
    ArrayNode list = out.putArray("tokens");
    for (ApiToken t : tokens.list()) {
      if (mayManage(actor, t)) {
        list.add(view(t));
      }
    }
    return AdminResponse.ok(out);
  }

  private AdminResponse create(byte[] body, Actor actor) {
    JsonBody b = JsonBody.parse(json, body, Set.of("name", "role", "expiresAt"));
    String label = b.text("role", false);
    Role role = label == null ? actor.role() : Role.ofLabel(label);
    if (role == null) {
      throw ApiError.badRequest("role", "must be viewer, editor or admin");
    }
    if (!actor.role().includes(role)) {
      throw new ApiError(403, "role: a token's role cannot be above its maker's; " + actor.recorded() + " has the "
          + actor.role().label() + " role");
    }
    Instant expires = b.instant("expiresAt");
    IssuedApiToken issued = tokens.create(b.text("name", true), owner(actor), role.label(), expires, actor.recorded());
    return AdminResponse.created(view(issued.token()).put("token", issued.secret()));
  }

  /** Who owns the tokens {@code actor} makes: a person by name, {@code admin-token} for the break-glass token. */
  static String owner(Actor actor) {
    return actor.recorded();
  }

  private static boolean mayManage(Actor actor, ApiToken t) {
    return actor.role().includes(Role.ADMIN) || t.owner().equals(owner(actor));
  }

  private ObjectNode view(ApiToken t) {
    Instant now = clock.instant();
    String state = t.revokedAt() != null ? "revoked" : t.usableAt(now) ? "active" : "expired";
    return json.createObjectNode().put("id", t.id()).put("name", t.name()).put("owner", t.owner())
        .put("role", t.role()).put("state", state).put("createdAt", t.createdAt().toString())
        .put("expiresAt", t.expiresAt().toString())
        .put("revokedAt", t.revokedAt() == null ? null : t.revokedAt().toString())
        .put("lastUsedAt", t.lastUsedAt() == null ? null : t.lastUsedAt().toString());
  }

  /** The actor an API token stands for: its name and owner, and its role. */
  static Actor actor(ApiToken t) {
    Role role = Role.ofLabel(t.role());
    return new Actor(Actor.Kind.API_TOKEN, t.name() + " (" + t.owner() + ")", role == null ? Role.VIEWER : role);
  }
}
