package io.turnstile.store.internal;

import static io.turnstile.store.InvalidInputException.quoted;

import io.turnstile.config.Versions;
import io.turnstile.store.Catalog;
import io.turnstile.store.EntitlementFields;
import io.turnstile.store.InvalidInputException;
import io.turnstile.store.RangeGrant;
import io.turnstile.store.UpstreamCredentials;
import io.turnstile.store.VersionRange;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Checks what callers hand the store; each failure names the offending field. */
final class Inputs {
  static final int MAX_NAME = 200;

  private Inputs() {}

  static String application(Catalog catalog, String name) {
    if (name == null || name.isBlank()) {
      throw new InvalidInputException("application", "is required");
    }
    if (catalog.application(name).isEmpty()) {
      throw new InvalidInputException("application",
          "unknown application '" + name + "' (configured: " + catalog.applications().keySet() + ")");
    }
    return name;
  }

  static String name(String field, String value) {
    if (value == null || value.isBlank()) {
      throw new InvalidInputException(field, "must not be empty");
    }
    String v = value.strip();
    if (v.length() > MAX_NAME) {
      throw new InvalidInputException(field, "must be at most " + MAX_NAME + " characters");
    }
    if (v.chars().anyMatch(Character::isISOControl)) {
      throw new InvalidInputException(field, "must not contain control characters");
    }
    // Format characters (Unicode Cf) are invisible: bidi overrides and isolates (U+202A..U+202E,
    // U+2066..U+2069) reorder what a vendor reads in the CLI, logs and history, and zero-width ones
    // (U+200B, U+FEFF) make two names that look the same differ.
    int format = v.codePoints().filter(c -> Character.getType(c) == Character.FORMAT).findFirst().orElse(-1);
    if (format >= 0) {
      throw new InvalidInputException(field,
          String.format("must not contain invisible formatting characters (U+%04X)", format));
    }
    return v;
  }

  static Set<String> versions(String field, List<String> versions) {
    Set<String> out = new LinkedHashSet<>();
    if (versions == null) {
      return out;
    }
    for (int i = 0; i < versions.size(); i++) {
      String v = versions.get(i);
      if (!Versions.isValidVersion(v)) {
        throw new InvalidInputException(field + "[" + i + "]",
            v == null ? "must not be null" : quoted(v) + " is not a valid version (letters, digits, '.', '_', '-', '+'; at most 128)");
      }
      out.add(v);
    }
    return out;
  }

  /** The ranges, checked and parsed, by normalised expression; a later duplicate wins. */
  static Map<String, VersionRange> ranges(String field, List<RangeGrant> ranges) {
    Map<String, VersionRange> out = new LinkedHashMap<>();
    if (ranges == null) {
      return out;
    }
    for (int i = 0; i < ranges.size(); i++) {
      RangeGrant r = ranges.get(i);
      if (r == null) {
        throw new InvalidInputException(field + "[" + i + "]", "must not be null");
      }
      VersionRange parsed = VersionRange.parse(field + "[" + i + "]", r.expression(), r.includePrerelease());
      out.put(parsed.expression(), parsed);
    }
    return out;
  }

  /**
   * Entitlement values for a license of {@code application}, checked against its fields and made
   * canonical. A null value stays null (a patch's "back to the default"). An unknown field or a
   * value not of its field's type is refused naming {@code entitlements.<name>}.
   */
  static Map<String, String> entitlements(EntitlementFields fields, String application, Map<String, String> values) {
    Map<String, String> out = new java.util.TreeMap<>();
    if (values == null) {
      return out;
    }
    for (Map.Entry<String, String> e : values.entrySet()) {
      String field = "entitlements." + e.getKey();
      EntitlementFields.Field defined = fields.field(application, e.getKey());
      io.turnstile.config.EntitlementField f = defined == null ? null : defined.definition();
      if (f == null) {
        List<String> known = fields.of(application).stream().map(EntitlementFields.Field::name).toList();
        throw new InvalidInputException(field, "application '" + application + "' has no entitlement field "
            + quoted(e.getKey()) + " (fields: " + known + ")");
      }
      if (e.getValue() == null) {
        out.put(e.getKey(), null);
        continue;
      }
      try {
        out.put(e.getKey(), f.type().canonical(e.getValue()));
      } catch (IllegalArgumentException bad) {
        throw new InvalidInputException(field, bad.getMessage() + " (the field is of type " + f.type().wireName() + ")");
      }
    }
    return out;
  }

  static void checkCredentials(UpstreamCredentials creds) {
    if (creds != null && (creds.username().isBlank() || creds.password().isEmpty())) {
      throw new InvalidInputException("upstreamCredentials", "username and password must not be empty");
    }
  }
}
