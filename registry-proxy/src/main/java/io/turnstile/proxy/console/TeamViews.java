package io.turnstile.proxy.console;

import com.fasterxml.jackson.databind.JsonNode;

/** What the console's API token and activity pages show, read from the admin API's JSON answers. */
public final class TeamViews {
  private TeamViews() {}

  /** A personal API token as listed: never its secret. {@code state} is active, expired or revoked. */
  public record ApiToken(String id, String name, String owner, String role, String state, String createdAt,
      String expiresAt, String lastUsedAt) {
    static ApiToken of(JsonNode n) {
      return new ApiToken(n.path("id").asText(), n.path("name").asText(), n.path("owner").asText(),
          n.path("role").asText(), n.path("state").asText(), n.path("createdAt").asText(),
          n.path("expiresAt").asText(), n.path("lastUsedAt").isNull() ? "never" : n.path("lastUsedAt").asText());
    }

    public boolean active() {
      return state.equals("active");
    }
  }

  /** A token just made, shown once. */
  public record IssuedToken(String name, String secret) {
    @Override
    public String toString() {
      return "IssuedToken[" + name + ", secret=***]";
    }
  }

  /** One vendor action of the activity log. */
  public record Activity(String at, String actor, String action, String customerId, String licenseId, String detail) {
    static Activity of(JsonNode n) {
      return new Activity(n.path("at").asText(), n.path("actor").asText(), n.path("action").asText(),
          text(n, "customerId"), text(n, "licenseId"), text(n, "detail"));
    }
  }

  /** The activity page's filters as the form shows them back; empty for none. */
  public record ActivityFilter(String actor, String customerId, String licenseId, String since, String until) {}

  private static String text(JsonNode n, String field) {
    JsonNode v = n.path(field);
    return v.isNull() || v.isMissingNode() ? "" : v.asText();
  }
}
