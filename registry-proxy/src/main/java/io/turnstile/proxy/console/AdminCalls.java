package io.turnstile.proxy.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.turnstile.proxy.admin.Actor;
import io.turnstile.proxy.admin.AdminApi;
import io.turnstile.proxy.admin.AdminResponse;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The console's way into the admin API, as the signed-in operator: the very calls an API client
 * makes, so that every rule (the operator's role, what a license needs, what a revoked license
 * refuses, which versions exist) is decided in one place, and changes are recorded under the
 * operator's verified name. A call the operator's role does not allow throws {@link Refused}, which
 * the console answers with {@code 403} naming the role needed, whatever page asked.
 */
final class AdminCalls {
  /** The admin API refused a call for the operator's role; the message names the role needed. */
  static final class Refused extends RuntimeException {
    Refused(String message) {
      super(message);
    }
  }

  /** An answer; {@code error} is the API's message when the call failed. */
  record Answer(int status, JsonNode body) {
    boolean ok() {
      return status < 300;
    }

    String error() {
      return body == null ? "failed (" + status + ")" : body.path("error").asText("failed (" + status + ")");
    }
  }

  private final AdminApi api;
  private final ObjectMapper json;
  private final Actor actor;

  AdminCalls(AdminApi api, ObjectMapper json, Actor actor) {
    this.api = api;
    this.json = json;
    this.actor = actor;
  }

  /** Who the calls are made as. */
  Actor actor() {
    return actor;
  }

  Answer get(String path) {
    return get(path, Map.of());
  }

  Answer get(String path, Map<String, List<String>> query) {
    return call("GET", path, query, null);
  }

  Answer post(String path, JsonNode body) {
    return call("POST", path, Map.of(), body);
  }

  Answer patch(String path, JsonNode body) {
    return call("PATCH", path, Map.of(), body);
  }

  Answer put(String path, JsonNode body) {
    return call("PUT", path, Map.of(), body);
  }

  Answer delete(String path) {
    return call("DELETE", path, Map.of(), null);
  }

  private Answer call(String method, String path, Map<String, List<String>> query, JsonNode body) {
    byte[] bytes;
    try {
      bytes = body == null ? new byte[0] : json.writeValueAsBytes(body);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    // Every write carries a key of its own, so that a retry of it inside Turnstile is applied once.
    String idempotencyKey = method.equals("GET") ? null : java.util.UUID.randomUUID().toString();
    AdminResponse r = api.handle(method, "/admin/v1/" + path, query, bytes, actor, "application/json", idempotencyKey);
    if (r.status() == 403) {
      throw new Refused(new Answer(r.status(), r.body()).error());
    }
    return new Answer(r.status(), r.body());
  }

  /** The admin API's answer to a GET of {@code path} as it is, e.g. a streamed license file. */
  AdminResponse raw(String path) {
    AdminResponse r = api.handle("GET", "/admin/v1/" + path, Map.of(), new byte[0], actor, "*/*");
    if (r.status() == 403) {
      throw new Refused(new Answer(r.status(), r.body()).error());
    }
    return r;
  }

  /**
   * The CSV export of the read-only route {@code path}, read whole (the console offers only bounded
   * exports), or null when the call failed.
   */
  byte[] csv(String path, Map<String, List<String>> query) {
    AdminResponse r = api.handle("GET", "/admin/v1/" + path, query, new byte[0], actor, "text/csv");
    return r.streamed() == null ? null : r.streamedBytes();
  }

  /** One path segment, percent-encoded as the API decodes it. */
  static String segment(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
