package io.turnstile.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Loads {@link TurnstileConfig} from YAML.
 *
 * <p>{@code ${VAR}} and {@code ${VAR:-default}} in string values are replaced from the environment
 * after parsing, so a substituted secret is never re-read as YAML; {@code $${} stands for a literal
 * {@code ${}. A variable that is unset and has no default is an error. Unknown keys are errors.
 * Every error names the file, the field path and the problem.
 */
public final class ConfigLoader {
  private static final Pattern VARIABLE =
      Pattern.compile("\\$\\$\\{|\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

  private final UnaryOperator<String> environment;
  private final ObjectMapper yaml;
  private final ObjectMapper binder;

  /** A loader that reads variables from the process environment. */
  public ConfigLoader() {
    this(System::getenv);
  }

  /** A loader that reads variables from {@code environment} (returns null when unset). */
  public ConfigLoader(UnaryOperator<String> environment) {
    this.environment = Objects.requireNonNull(environment, "environment");
    this.yaml = new ObjectMapper(new YAMLFactory());
    SimpleModule durations = new SimpleModule("turnstile-durations");
    durations.addDeserializer(Duration.class, new JsonDeserializer<>() {
      @Override
      public Duration deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        return Durations.parse(p.getValueAsString());
      }
    });
    durations.addDeserializer(Path.class, new JsonDeserializer<>() {
      @Override
      public Path deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        return Path.of(p.getValueAsString());
      }
    });
    this.binder = JsonMapper.builder()
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
        .addModule(durations)
        .build();
  }

  /** Reads and validates the file at {@code file}. */
  public TurnstileConfig load(Path file) throws ConfigException {
    String source = file.getFileName() == null ? file.toString() : file.getFileName().toString();
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException(file.toString(), "", "file not found");
    } catch (IOException e) {
      throw new ConfigException(file.toString(), "", "cannot read: " + e.getMessage());
    }
    return parse(source, text);
  }

  /** Parses and validates configuration text; {@code source} names it in errors. */
  public TurnstileConfig parse(String source, String text) throws ConfigException {
    JsonNode root;
    try {
      root = yaml.readTree(text);
    } catch (JacksonException e) {
      JsonLocation at = e.getLocation();
      String where = at == null ? "" : "line " + at.getLineNr() + ", column " + at.getColumnNr() + ": ";
      throw new ConfigException(source, "", where + "not valid YAML (" + e.getOriginalMessage() + ")");
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      throw new ConfigException(source, "", "the file is empty");
    }
    if (!root.isObject()) {
      throw new ConfigException(source, "", "the top level must be a mapping");
    }
    substitute(source, root, "");
    try {
      return binder.treeToValue(root, TurnstileConfig.class);
    } catch (JacksonException e) {
      throw translate(source, e);
    }
  }

  private void substitute(String source, JsonNode node, String path) throws ConfigException {
    if (node instanceof ObjectNode object) {
      for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        String at = path.isEmpty() ? field.getKey() : path + "." + field.getKey();
        if (field.getValue().isTextual()) {
          field.setValue(TextNode.valueOf(expand(source, at, field.getValue().textValue())));
        } else {
          substitute(source, field.getValue(), at);
        }
      }
    } else if (node instanceof ArrayNode array) {
      for (int i = 0; i < array.size(); i++) {
        String at = path + "[" + i + "]";
        if (array.get(i).isTextual()) {
          array.set(i, TextNode.valueOf(expand(source, at, array.get(i).textValue())));
        } else {
          substitute(source, array.get(i), at);
        }
      }
    }
  }

  private String expand(String source, String path, String value) throws ConfigException {
    Matcher m = VARIABLE.matcher(value);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String replacement;
      if (m.group().equals("$${")) {
        replacement = "${";
      } else {
        String name = m.group(1);
        String fromEnv = environment.apply(name);
        if (fromEnv != null && !fromEnv.isEmpty()) {
          replacement = fromEnv;
        } else if (m.group(2) != null) {
          replacement = m.group(2);
        } else {
          throw new ConfigException(source, path, "environment variable " + name + " is not set");
        }
      }
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static ConfigException translate(String source, JacksonException e) {
    String path = e instanceof JsonMappingException jme ? path(jme) : "";
    if (e instanceof UnrecognizedPropertyException u) {
      return new ConfigException(
          source, path, "unknown key (expected one of " + u.getKnownPropertyIds() + ")");
    }
    Throwable cause = e.getCause();
    if (cause instanceof InvalidValueException invalid) {
      String field = path.isEmpty() ? invalid.field() : invalid.field().isEmpty() ? path : path + "." + invalid.field();
      return new ConfigException(source, field, invalid.problem());
    }
    if (e instanceof ValueInstantiationException || e instanceof InvalidFormatException) {
      if (cause instanceof IllegalArgumentException) {
        return new ConfigException(source, path, cause.getMessage());
      }
    }
    if (e instanceof MismatchedInputException mismatch) {
      String expected = mismatch.getTargetType() == null ? "another type" : describe(mismatch.getTargetType());
      return new ConfigException(source, path, "expected " + expected);
    }
    return new ConfigException(source, path, e.getOriginalMessage());
  }

  private static String describe(Class<?> type) {
    if (type == String.class) return "a string";
    if (type == Integer.class || type == int.class) return "a whole number";
    if (java.util.Collection.class.isAssignableFrom(type)) return "a list";
    if (type.isRecord()) return "a mapping";
    return "a " + type.getSimpleName();
  }

  private static String path(JsonMappingException e) {
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference ref : e.getPath()) {
      if (ref.getFieldName() != null) {
        if (sb.length() > 0) sb.append('.');
        sb.append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        sb.append('[').append(ref.getIndex()).append(']');
      }
    }
    return sb.toString();
  }
}
