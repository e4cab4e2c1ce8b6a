package io.turnstile.proxy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code turnstile webhook ...}: manage webhook endpoints and see their deliveries (the admin role). */
@Command(name = "webhook", description = "Manage webhook endpoints and their deliveries.",
    mixinStandardHelpOptions = true)
public final class WebhookCommand {
  private static final String[] ENDPOINT_COLUMNS = {"ID", "URL", "EVENTS", "ENABLED", "DESCRIPTION"};

  @Spec CommandSpec spec;
  @Mixin AdminOptions admin;

  private PrintWriter out() {
    return spec.commandLine().getOut();
  }

  @Command(name = "create", description = "Add an endpoint; its signing secret is shown once.")
  int create(@Option(names = "--url", required = true, description = "Where to post, https unless allowed") String url,
      @Option(names = "--event", split = ",", description = "Event types wanted (repeatable, or comma-separated); "
          + "default every type") List<String> events,
      @Option(names = "--description", description = "What receives it") String description,
      @Option(names = "--disabled", description = "Add it disabled") boolean disabled) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("url", url);
    body.put("events", events == null || events.isEmpty() ? List.of("*") : events);
    if (description != null) {
      body.put("description", description);
    }
    body.put("enabled", !disabled);
    JsonNode e = admin.call("POST", "webhooks", body);
    return print(e, () -> {
      endpoints(List.of(e));
      out().println("signing secret (shown once): " + e.path("secret").asText());
    });
  }

  @Command(name = "list", description = "List endpoints.")
  int list() {
    JsonNode r = admin.call("GET", "webhooks", null);
    return print(r, () -> {
      List<JsonNode> all = new java.util.ArrayList<>();
      r.path("webhooks").forEach(all::add);
      endpoints(all);
    });
  }

  @Command(name = "update", description = "Change an endpoint; enabling it again clears its failures.")
  int update(@Parameters(paramLabel = "ENDPOINT_ID") String id,
      @Option(names = "--url") String url,
      @Option(names = "--event", split = ",", description = "Event types wanted, replacing the list") List<String> events,
      @Option(names = "--description") String description,
      @Option(names = "--enabled", arity = "1", description = "true or false") Boolean enabled) {
    Map<String, Object> body = new LinkedHashMap<>();
    if (url != null) {
      body.put("url", url);
    }
    if (events != null) {
      body.put("events", events);
    }
    if (description != null) {
      body.put("description", description);
    }
    if (enabled != null) {
      body.put("enabled", enabled);
    }
    JsonNode e = admin.call("PATCH", "webhooks/" + Paths.segment(id), body);
    return print(e, () -> endpoints(List.of(e)));
  }

  @Command(name = "delete", description = "Delete an endpoint and its deliveries.")
  int delete(@Parameters(paramLabel = "ENDPOINT_ID") String id) {
    admin.call("DELETE", "webhooks/" + Paths.segment(id), null);
    return done("deleted " + id);
  }

  @Command(name = "rotate-secret", description = "Give an endpoint a new signing secret; shown once.")
  int rotateSecret(@Parameters(paramLabel = "ENDPOINT_ID") String id) {
    JsonNode e = admin.call("POST", "webhooks/" + Paths.segment(id) + "/rotate-secret", null);
    return print(e, () -> out().println("signing secret (shown once): " + e.path("secret").asText()));
  }

  @Command(name = "test", description = "Send a webhook.test event to an endpoint.")
  int test(@Parameters(paramLabel = "ENDPOINT_ID") String id) {
    JsonNode r = admin.call("POST", "webhooks/" + Paths.segment(id) + "/test", null);
    return print(r, () -> out().println("queued " + r.path("eventId").asText()));
  }

  @Command(name = "deliveries", description = "An endpoint's recent deliveries, newest first.")
  int deliveries(@Parameters(paramLabel = "ENDPOINT_ID") String id,
      @Option(names = "--limit", defaultValue = "50", description = "At most this many (1-1000); default 50") int limit) {
    JsonNode r = admin.call("GET", "webhooks/" + Paths.segment(id) + "/deliveries?limit=" + limit, null);
    return print(r, () -> {
      Table t = new Table("ID", "EVENT", "TYPE", "STATE", "ATTEMPTS", "STATUS", "MS", "ERROR");
      r.path("deliveries").forEach(d -> t.row(d.path("id").asText(), d.path("eventId").asText(),
          d.path("eventType").asText(), d.path("state").asText(), d.path("attempts").asText(),
          d.path("responseStatus").asText(""), d.path("durationMs").asText(""), d.path("error").asText("")));
      t.print(out());
    });
  }

  @Command(name = "redeliver", description = "Deliver an event to its endpoint again (same webhook-id).")
  int redeliver(@Parameters(paramLabel = "ENDPOINT_ID") String id, @Parameters(paramLabel = "DELIVERY_ID") String delivery) {
    JsonNode d = admin.call("POST", "webhooks/" + Paths.segment(id) + "/deliveries/" + Paths.segment(delivery)
        + "/redeliver", null);
    return print(d, () -> out().println("queued " + d.path("id").asText() + " for " + d.path("eventId").asText()));
  }

  private void endpoints(List<JsonNode> list) {
    Table t = new Table(ENDPOINT_COLUMNS);
    for (JsonNode e : list) {
      List<String> events = new java.util.ArrayList<>();
      e.path("events").forEach(x -> events.add(x.asText()));
      String enabled = e.path("enabled").asBoolean() ? "yes"
          : e.path("disabledReason").isTextual() ? "no: " + e.path("disabledReason").asText() : "no";
      t.row(e.path("id").asText(), e.path("url").asText(), String.join(",", events), enabled,
          e.path("description").asText());
    }
    t.print(out());
  }

  private int done(String line) {
    if (!admin.jsonOutput()) {
      out().println(line);
      out().flush();
    }
    return 0;
  }

  private int print(JsonNode node, Runnable table) {
    if (admin.jsonOutput()) {
      out().println(node.toPrettyString());
    } else {
      table.run();
    }
    out().flush();
    return 0;
  }
}
