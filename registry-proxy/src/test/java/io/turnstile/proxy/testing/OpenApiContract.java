package io.turnstile.proxy.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The admin API's OpenAPI document ({@code openapi/admin-v1.yaml}, the one the server serves) as a
 * checker of real exchanges: {@link #violations} lists how one request and its answer differ from
 * it. Schemas are JSON Schema 2020-12, as OpenAPI 3.1's are, checked with networknt's validator.
 *
 * <p>What a request must match depends on its answer: a request the server accepted (2xx) must be
 * one the document allows (path, method, query parameters, body); a refused one (4xx) may be the bad
 * input a test sends on purpose, so only its answer is checked. Every answer must have a documented
 * status and match its schema; a call to an undocumented path or method is a violation unless the
 * server refused it as {@code 404} or {@code 405}.
 */
public final class OpenApiContract {
  private static final String DOCUMENT_URI = "https://turnstile.invalid/openapi/admin-v1.json";
  private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options");
  private static final OpenApiContract ADMIN = new OpenApiContract(load("/openapi/admin-v1.yaml"));

  private final JsonNode document;
  private final JsonSchemaFactory schemas;
  private final SchemaValidatorsConfig config = SchemaValidatorsConfig.builder().build();
  private final Map<String, JsonSchema> compiled = new ConcurrentHashMap<>();
  private final ObjectMapper json = new ObjectMapper();

  private OpenApiContract(JsonNode document) {
    this.document = document;
    String text = document.toString();
    this.schemas = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012,
        b -> b.schemaLoaders(l -> l.schemas(Map.of(DOCUMENT_URI, text))));
  }

  /** The admin API's contract. */
  public static OpenApiContract admin() {
    return ADMIN;
  }

  /** The document itself. */
  public JsonNode document() {
    return document;
  }

  /** A documented operation: its path template, method (lower case) and JSON. */
  public record Operation(String path, String method, JsonNode node) {
    /** JSON pointer to this operation in the document. */
    String pointer() {
      return "/paths/" + escape(path) + "/" + method;
    }
  }

  /** Every operation the document has. */
  public List<Operation> operations() {
    List<Operation> out = new ArrayList<>();
    document.get("paths").fields().forEachRemaining(p -> p.getValue().fields().forEachRemaining(m -> {
      if (METHODS.contains(m.getKey())) {
        out.add(new Operation(p.getKey(), m.getKey(), m.getValue()));
      }
    }));
    return out;
  }

  /** The documented path template that {@code rawPath} matches, or null. Literal segments win over parameters. */
  public String pathTemplate(String rawPath) {
    String best = null;
    int bestLiterals = -1;
    String[] actual = rawPath.split("/", -1);
    for (Iterator<String> it = document.get("paths").fieldNames(); it.hasNext(); ) {
      String template = it.next();
      String[] t = template.split("/", -1);
      if (t.length != actual.length) {
        continue;
      }
      int literals = 0;
      boolean match = true;
      for (int i = 0; i < t.length && match; i++) {
        if (t[i].startsWith("{") && t[i].endsWith("}")) {
          match = !actual[i].isEmpty();
        } else {
          match = t[i].equals(actual[i]);
          literals++;
        }
      }
      if (match && literals > bestLiterals) {
        best = template;
        bestLiterals = literals;
      }
    }
    return best;
  }

  /**
   * How one exchange differs from the document; empty when it matches.
   *
   * @param uri the request's path and query, e.g. {@code /admin/v1/licenses?customerId=c1}
   * @param requestBody the request's body, or null
   * @param contentType the answer's Content-Type, or null
   * @param responseBody the answer's body ("" for none)
   */
  public List<String> violations(String method, String uri, String requestBody, int status, String contentType,
      String responseBody) {
    List<String> out = new ArrayList<>();
    URI u = URI.create(uri);
    String path = u.getRawPath();
    String template = pathTemplate(path);
    String m = method.toLowerCase(Locale.ROOT);
    JsonNode op = template == null ? null : document.get("paths").get(template).get(m);
    if (op == null || !METHODS.contains(m)) {
      boolean refused = template == null ? status == 404 : status == 405;
      if (!refused) {
        out.add(method + " " + path + " is not in the document"
            + (template == null ? "" : " (path " + template + " has no " + method + ")") + " but answered " + status);
      } else {
        checkBody(out, "/components/schemas/Error", contentType, responseBody, status + " answer");
      }
      return out;
    }
    Operation operation = new Operation(template, m, op);
    boolean accepted = status >= 200 && status < 300;
    if (accepted) {
      checkQuery(out, operation, u.getRawQuery());
      checkRequestBody(out, operation, requestBody);
    }
    checkResponse(out, operation, status, contentType, responseBody);
    return out.stream().map(v -> method + " " + uri + " -> " + status + ": " + v).toList();
  }

  private void checkQuery(List<String> out, Operation op, String rawQuery) {
    if (rawQuery == null || rawQuery.isEmpty()) {
      return;
    }
    for (String pair : rawQuery.split("&")) {
      int eq = pair.indexOf('=');
      String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      String pointer = parameterPointer(op, "query", name);
      if (pointer == null) {
        out.add("query parameter '" + name + "' is not documented");
        continue;
      }
      JsonNode schema = at(pointer).get("schema");
      JsonNode typed = JsonNodeFactory.instance.textNode(value);
      if (schema != null && schema.path("type").asText().equals("integer")) {
        try {
          typed = JsonNodeFactory.instance.numberNode(Long.parseLong(value));
        } catch (NumberFormatException e) {
          out.add("query parameter '" + name + "' = '" + value + "' is not an integer");
          continue;
        }
      }
      for (ValidationMessage v : schema(pointer + "/schema").validate(typed)) {
        out.add("query parameter '" + name + "': " + v.getMessage());
      }
    }
  }

  /** The pointer to the parameter {@code name} in {@code in} of the operation or its path, following $ref; or null. */
  private String parameterPointer(Operation op, String in, String name) {
    String opPointer = op.pointer();
    String pathPointer = "/paths/" + escape(op.path());
    for (String base : List.of(opPointer, pathPointer)) {
      JsonNode list = at(base).get("parameters");
      if (list == null) {
        continue;
      }
      for (int i = 0; i < list.size(); i++) {
        String pointer = base + "/parameters/" + i;
        JsonNode p = list.get(i);
        if (p.has("$ref")) {
          pointer = p.get("$ref").asText().substring(1);
          p = at(pointer);
        }
        if (p.path("in").asText().equals(in) && p.path("name").asText().equals(name)) {
          return pointer;
        }
      }
    }
    return null;
  }

  private void checkRequestBody(List<String> out, Operation op, String body) {
    JsonNode rb = op.node().get("requestBody");
    boolean empty = body == null || body.isEmpty();
    if (rb == null) {
      return;
    }
    if (empty) {
      if (rb.path("required").asBoolean(false)) {
        out.add("the request body is required but none was sent");
      }
      return;
    }
    checkBody(out, op.pointer() + "/requestBody/content/application~1json/schema", "application/json", body,
        "request body");
  }

  private void checkResponse(List<String> out, Operation op, int status, String contentType, String body) {
    JsonNode responses = op.node().get("responses");
    String key = String.valueOf(status);
    if (!responses.has(key)) {
      key = "default";
    }
    JsonNode response = responses.get(key);
    if (response == null) {
      out.add("status " + status + " is not documented for this operation");
      return;
    }
    String pointer = op.pointer() + "/responses/" + key;
    if (response.has("$ref")) {
      pointer = response.get("$ref").asText().substring(1);
      response = at(pointer);
    }
    JsonNode content = response.get("content");
    boolean empty = body == null || body.isEmpty();
    if (content == null) {
      if (!empty) {
        out.add("the answer has a body but the document says none");
      }
      return;
    }
    String media = contentType == null ? "" : contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
    if (!content.has(media)) {
      out.add("content type '" + contentType + "' is not documented (expected one of " + names(content) + ")");
      return;
    }
    if (media.equals("application/json")) {
      checkBody(out, pointer + "/content/application~1json/schema", contentType, body, "answer");
    }
  }

  private void checkBody(List<String> out, String schemaPointer, String contentType, String body, String what) {
    if (body == null || body.isEmpty()) {
      out.add("the " + what + " has no body; expected JSON");
      return;
    }
    if (contentType != null && !contentType.toLowerCase(Locale.ROOT).startsWith("application/json")) {
      out.add("the " + what + " is " + contentType + ", not application/json");
      return;
    }
    JsonNode node;
    try {
      node = json.readTree(body);
    } catch (IOException e) {
      out.add("the " + what + " is not JSON: " + e.getMessage());
      return;
    }
    for (ValidationMessage v : schema(schemaPointer).validate(node)) {
      out.add("the " + what + " does not match " + schemaPointer + ": " + v.getMessage());
    }
  }

  private JsonSchema schema(String pointer) {
    return compiled.computeIfAbsent(pointer,
        p -> schemas.getSchema(SchemaLocation.of(DOCUMENT_URI + "#" + p), config));
  }

  private JsonNode at(String pointer) {
    return document.at(pointer);
  }

  private static List<String> names(JsonNode object) {
    List<String> out = new ArrayList<>();
    object.fieldNames().forEachRemaining(out::add);
    return out;
  }

  /** A path as one JSON-pointer token. */
  static String escape(String token) {
    return token.replace("~", "~0").replace("/", "~1");
  }

  private static JsonNode load(String resource) {
    try (InputStream in = OpenApiContract.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + resource);
      }
      return new ObjectMapper(new YAMLFactory()).readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
