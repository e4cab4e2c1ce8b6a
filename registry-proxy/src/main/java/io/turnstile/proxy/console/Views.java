package io.turnstile.proxy.console;

import com.fasterxml.jackson.databind.JsonNode;
import io.turnstile.proxy.web.GrantView;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What the console's pages show, read from the admin API's JSON answers: the console shows what the
 * API answers and nothing else.
 */
public final class Views {
  private Views() {}

  /** How close an expiry must be for the warning. */
  static final Duration EXPIRING = Duration.ofDays(30);

  public record Customer(String id, String name, String createdAt) {
    static Customer of(JsonNode n) {
      return new Customer(n.path("id").asText(), n.path("name").asText(), day(n.path("createdAt").asText(null)));
    }
  }

  public record Key(String keyId, String createdAt) {}

  /** A pull token of a license, as the license page lists it; never its secret. */
  public record PullToken(String id, String name, String createdAt, String expiresAt, String lastUsedAt) {}

  public record Event(String at, String actor, String action, String detail) {}

  /**
   * A fair-use limit of a license and its use in the current period, as the license page shows it.
   *
   * @param name the limit's API name, e.g. {@code manifestPullsPerDay}
   * @param percent the use as a share of the limit, 0 to 100
   */
  public record Use(String name, String label, String period, String used, String amount, String mode, String source,
      String resetsOn, int percent) {
    /** The limits in a {@code GET /admin/v1/licenses/{id}/usage} answer. */
    static List<Use> of(com.fasterxml.jackson.databind.JsonNode usage) {
      List<Use> out = new java.util.ArrayList<>();
      for (com.fasterxml.jackson.databind.JsonNode l : usage.path("limits")) {
        io.turnstile.store.UsageLimit limit = io.turnstile.store.UsageLimit.byApiName(l.path("limit").asText()).orElse(null);
        if (limit == null) {
          continue;
        }
        long used = l.path("used").asLong();
        long amount = Math.max(1, l.path("amount").asLong());
        out.add(new Use(limit.apiName(), io.turnstile.proxy.limits.LimitText.label(limit), l.path("period").asText(),
            io.turnstile.proxy.limits.LimitText.amount(limit, used), io.turnstile.proxy.limits.LimitText.amount(limit, amount),
            l.path("mode").asText(), l.path("source").asText(), l.path("resetsOn").asText(),
            (int) Math.min(100, used * 100 / amount)));
      }
      return out;
    }
  }

  /** A license; {@code state} is active, expiring (active, within 30 days of its expiry), expired or revoked. */
  public record License(String id, String name, String customerId, String customerName, String application,
      List<String> versions, List<GrantView> grants, boolean keepReleasedBeforeExpiry, String expiresAt,
      String state, String revokedAt, String upstreamUser, String createdAt, List<Event> history) {
    static License of(JsonNode n, String customerName, Instant now) {
      String expires = n.path("expiresAt").isNull() ? null : n.path("expiresAt").asText(null);
      String state = n.path("state").asText();
      if (state.equals("active") && expires != null && Instant.parse(expires).isBefore(now.plus(EXPIRING))) {
        state = "expiring";
      }
      List<String> versions = new ArrayList<>();
      n.path("versions").forEach(v -> versions.add(v.asText()));
      List<GrantView> grants = new ArrayList<>();
      if (n.has("grants")) {
        n.path("grants").forEach(g -> grants.add(new GrantView(g.path("kind").asText(), g.path("value").asText(),
            g.path("includePrerelease").asBoolean(false))));
      } else {
        versions.forEach(v -> grants.add(new GrantView("exact", v, false)));
      }
      List<Event> history = new ArrayList<>();
      n.path("history").forEach(e -> history.add(new Event(e.path("at").asText(), e.path("actor").asText(),
          e.path("action").asText(), e.path("detail").isNull() ? "" : e.path("detail").asText(""))));
      JsonNode creds = n.path("upstreamCredentials");
      return new License(n.path("id").asText(), n.path("name").isNull() ? "" : n.path("name").asText(""),
          n.path("customerId").asText(), customerName, n.path("application").asText(), List.copyOf(versions),
          List.copyOf(grants), n.path("keepReleasedBeforeExpiry").asBoolean(false), expires, state, n.path("revokedAt").isNull() ? null : n.path("revokedAt").asText(null),
          creds.isObject() ? creds.path("username").asText() : null, day(n.path("createdAt").asText(null)),
          List.copyOf(history));
    }

    /** The expiry as the date picker takes it (UTC day), or empty. */
    public String expiryDay() {
      return expiresAt == null ? "" : expiresAt.substring(0, 10);
    }

    public String displayName() {
      return name == null || name.isEmpty() ? id : name;
    }

    public boolean revoked() {
      return state.equals("revoked");
    }

    /** Every grant with its kind, for a list cell; "none" when there is none. */
    public String grantsText() {
      return grants.isEmpty() ? "none" : String.join(", ", grants.stream().map(GrantView::label).toList());
    }
  }

  /** An application and the versions found at its upstream; {@code versionsError} when they could not be listed. */
  public record Application(String name, List<String> versions, String versionsError, List<Entitlement> entitlements) {
    static Application of(JsonNode n) {
      List<String> versions = new ArrayList<>();
      n.path("versions").forEach(v -> versions.add(v.asText()));
      return new Application(n.path("name").asText(), List.copyOf(versions),
          n.path("versionsError").isMissingNode() ? null : n.path("versionsError").asText(),
          Entitlement.fields(n.path("entitlements"), null));
    }
  }

  /**
   * An entitlement field of an application and a license's value of it ({@code value} empty when
   * it has none); {@code inputType} is the HTML input that edits it; {@code source} is where the
   * field is defined, {@code config} or {@code api}.
   */
  public record Entitlement(String name, String type, String value, String defaultValue, boolean visible,
      String source) {
    /** The fields {@code fields} (the API's definitions), valued from {@code values} (null: none). */
    static List<Entitlement> fields(JsonNode fields, JsonNode values) {
      List<Entitlement> out = new ArrayList<>();
      for (JsonNode f : fields) {
        String name = f.path("name").asText();
        JsonNode v = values == null ? null : values.get(name);
        out.add(new Entitlement(name, f.path("type").asText(), v == null || v.isNull() ? "" : v.asText(),
            f.path("default").isNull() || f.path("default").isMissingNode() ? "" : f.path("default").asText(),
            f.path("visible").asBoolean(false), f.path("source").asText("config")));
      }
      return List.copyOf(out);
    }

    public String inputType() {
      return switch (type) {
        case "integer" -> "number";
        case "date" -> "date";
        default -> "text";
      };
    }

    public boolean isBoolean() {
      return type.equals("boolean");
    }

    /** Where the field is defined, as the console says it. */
    public String sourceLabel() {
      return source.equals("api") ? "defined through the API" : "from the configuration";
    }
  }

  /**
   * A key just issued, shown once: {@code username} and {@code key} for {@code docker login}.
   *
   * @param host the registry host the customer logs in to
   */
  public record IssuedKey(String username, String key, String host) {
    public String dockerLogin() {
      return "echo '" + key + "' | docker login " + host + " -u " + username + " --password-stdin";
    }

    @Override
    public String toString() {
      return "IssuedKey[" + username + ", key=***]";
    }
  }

  /**
   * A question before a change: {@code fields} are posted again to {@code action} when the answer
   * is {@code button}; {@code back} leaves it.
   */
  public record Confirm(String title, String message, String action, java.util.Map<String, List<String>> fields,
      String button, String back) {}

  /** The license list's filters as the form shows them back; empty for none. */
  public record LicenseFilter(String customer, String application, String state, String q) {}

  /** One row of the pull audit log, its fields as the admin API names them. */
  public record Pull(List<String> values) {}

  /** Recent pulls of a license: the column names and rows. */
  public record Pulls(List<String> columns, List<Pull> rows) {}

  private static String day(String instant) {
    return instant == null ? "" : instant.substring(0, Math.min(10, instant.length()));
  }
}
