package io.turnstile.proxy.admin;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.turnstile.store.Expiry;
import io.turnstile.store.RangeGrant;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/** A JSON request body read field by field, with 400 errors that name the field. */
final class JsonBody {
  private static final Set<String> RANGE_FIELDS = Set.of("range", "includePrerelease");

  private final JsonNode root;

  private JsonBody(JsonNode root) {
    this.root = root;
  }

  static JsonBody parse(ObjectMapper mapper, byte[] body, Set<String> allowed) {
    if (body.length == 0) {
      throw ApiError.badRequest(null, "a JSON object body is required");
    }
    JsonNode root;
    try {
      root = mapper.readTree(body);
    } catch (JacksonException e) {
      throw ApiError.badRequest(null, "body is not valid JSON (" + e.getOriginalMessage() + ")");
    } catch (java.io.IOException e) {
      throw ApiError.badRequest(null, "body is not valid JSON");
    }
    if (root == null || !root.isObject()) {
      throw ApiError.badRequest(null, "body must be a JSON object");
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!allowed.contains(name)) {
        throw ApiError.badRequest(name, "unknown field (expected one of " + allowed + ")");
      }
    }
    return new JsonBody(root);
  }

  /** The field as it is, or null when absent. */
  JsonNode node(String field) {
    return root.get(field);
  }

  boolean has(String field) {
    return root.has(field);
  }

  boolean isNull(String field) {
    return root.has(field) && root.get(field).isNull();
  }

  String text(String field, boolean required) {
    JsonNode n = root.get(field);
    if (n == null || n.isNull()) {
      if (required) {
        throw ApiError.badRequest(field, "is required");
      }
      return null;
    }
    if (!n.isTextual()) {
      throw ApiError.badRequest(field, "must be a string");
    }
    return n.textValue();
  }

  /**
   * An expiry as {@link Expiry} reads it (an RFC 3339 time, or a bare date meaning its start in
   * UTC), or null for JSON null / absent.
   */
  Instant instant(String field) {
    String s = text(field, false);
    return s == null ? null : Expiry.parse(field, s);
  }

  /** The array {@code field}, or null when it is absent or null and not {@code required}. */
  private JsonNode array(String field, boolean required, String ofWhat) {
    JsonNode n = root.get(field);
    if (n == null || n.isNull()) {
      if (required) {
        throw ApiError.badRequest(field, "is required");
      }
      return null;
    }
    if (!n.isArray()) {
      throw ApiError.badRequest(field, "must be an array of " + ofWhat);
    }
    return n;
  }

  List<String> strings(String field, boolean required) {
    JsonNode n = array(field, required, "strings");
    if (n == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>(n.size());
    for (int i = 0; i < n.size(); i++) {
      if (!n.get(i).isTextual()) {
        throw ApiError.badRequest(field + "[" + i + "]", "must be a string");
      }
      out.add(n.get(i).textValue());
    }
    return out;
  }

  /** A boolean, or null for JSON null / absent. */
  Boolean bool(String field) {
    JsonNode n = root.get(field);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isBoolean()) {
      throw ApiError.badRequest(field, "must be true or false");
    }
    return n.booleanValue();
  }

  /**
   * Ranges to grant: an array whose items are a range ({@code "2.x"}) or an object {@code
   * {"range": "2.x", "includePrerelease": true}}; none when absent or null.
   */
  List<RangeGrant> ranges(String field, boolean required) {
    JsonNode n = array(field, required, "ranges");
    if (n == null) {
      return List.of();
    }
    List<RangeGrant> out = new ArrayList<>(n.size());
    for (int i = 0; i < n.size(); i++) {
      JsonNode item = n.get(i);
      String itemField = field + "[" + i + "]";
      if (item.isTextual()) {
        out.add(RangeGrant.of(item.textValue()));
      } else if (item.isObject()) {
        for (Iterator<String> it = item.fieldNames(); it.hasNext(); ) {
          String name = it.next();
          if (!RANGE_FIELDS.contains(name)) {
            throw ApiError.badRequest(itemField + "." + name, "unknown field (expected one of " + RANGE_FIELDS + ")");
          }
        }
        JsonNode range = item.get("range");
        if (range == null || !range.isTextual()) {
          throw ApiError.badRequest(itemField + ".range", range == null ? "is required" : "must be a string");
        }
        JsonNode prerelease = item.get("includePrerelease");
        if (prerelease != null && !prerelease.isNull() && !prerelease.isBoolean()) {
          throw ApiError.badRequest(itemField + ".includePrerelease", "must be true or false");
        }
        out.add(new RangeGrant(range.textValue(), prerelease != null && prerelease.asBoolean(false)));
      } else {
        throw ApiError.badRequest(itemField, "must be a range or {\"range\", \"includePrerelease\"}");
      }
    }
    return out;
  }

  /** A nested object, or null when absent or JSON null. */
  JsonBody object(String field, Set<String> allowed) {
    JsonNode n = root.get(field);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isObject()) {
      throw ApiError.badRequest(field, "must be an object");
    }
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!allowed.contains(name)) {
        throw ApiError.badRequest(field + "." + name, "unknown field (expected one of " + allowed + ")");
      }
    }
    return new JsonBody(n);
  }

  /**
   * An object of entitlement values ({@code {"seats": 25, "sso": true}}) as texts by name, or null
   * when absent; a JSON null value stays null ("back to the default"). Which names and texts are
   * right is the store's to say, against the application's fields.
   */
  java.util.Map<String, String> entitlements(String field) {
    JsonNode n = root.get(field);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isObject()) {
      throw ApiError.badRequest(field, "must be an object of field names and values");
    }
    java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
    for (Iterator<java.util.Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
      java.util.Map.Entry<String, JsonNode> e = it.next();
      JsonNode v = e.getValue();
      if (v.isNull()) {
        out.put(e.getKey(), null);
      } else if (v.isTextual() || v.isBoolean() || v.isNumber()) {
        out.put(e.getKey(), v.asText());
      } else {
        throw ApiError.badRequest(field + "." + e.getKey(), "must be a number, a boolean, a string or null");
      }
    }
    return out;
  }
}
