package io.turnstile.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import java.io.IOException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the sizes written in the configuration: a whole number of bytes ({@code 1048576}) or a
 * number with a binary unit ({@code 512KiB}, {@code 64MiB}, {@code 20GiB}, {@code 2TiB}).
 */
public final class ByteSizes {
  private static final Pattern WITH_UNIT = Pattern.compile("(\\d{1,12})\\s*(B|KiB|MiB|GiB|TiB)?");

  private ByteSizes() {}

  public static long parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("is empty");
    }
    Matcher m = WITH_UNIT.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + text + "' is not a size (e.g. 1048576, 512MiB, 20GiB)");
    }
    long n = Long.parseLong(m.group(1));
    int shift = m.group(2) == null ? 0 : switch (m.group(2)) {
      case "KiB" -> 10;
      case "MiB" -> 20;
      case "GiB" -> 30;
      case "TiB" -> 40;
      default -> 0;
    };
    if (n > (Long.MAX_VALUE >> shift)) {
      throw new IllegalArgumentException("'" + text + "' is too large");
    }
    return n << shift;
  }

  /** Binds a size written as a number of bytes or as a string with a unit. */
  static final class Deserializer extends JsonDeserializer<Long> {
    @Override
    public Long deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      if (p.currentToken() == JsonToken.VALUE_NUMBER_INT) {
        return p.getLongValue();
      }
      if (p.currentToken() == JsonToken.VALUE_STRING) {
        return parse(p.getText());
      }
      throw new IllegalArgumentException("expected a size (e.g. 1048576, 512MiB, 20GiB)");
    }
  }
}
