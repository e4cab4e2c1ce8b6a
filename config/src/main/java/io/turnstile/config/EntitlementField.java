package io.turnstile.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A field a license of one application carries for the application itself to read, e.g. {@code
 * seats} or {@code sso}: written into the signed license file and answered by the online check.
 *
 * @param name the field's name: letters, digits, '_' and '-', starting with a letter, at most 64
 * @param type {@code integer}, {@code boolean}, {@code string} or {@code date} ({@code YYYY-MM-DD})
 * @param defaultValue the value of a license that sets none, as text of {@code type} (written
 *     {@code default} in the configuration); null: such a license has no value for the field, and
 *     the field is left out of its file
 * @param visible whether customers see the field in the portal; default false. The license file
 *     carries every field either way: the customer holds it.
 */
public record EntitlementField(String name, EntitlementType type, String defaultValue, boolean visible) {
  private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[A-Za-z][A-Za-z0-9_-]{0,63}");

  public EntitlementField {
    Check.required("name", name);
    if (!NAME.matcher(name).matches()) {
      throw new InvalidValueException("name", "'" + name + "' must start with a letter and hold only letters,"
          + " digits, '_' and '-' (at most 64 characters)");
    }
    Check.required("type", type);
    if (defaultValue != null) {
      try {
        defaultValue = type.canonical(defaultValue);
      } catch (IllegalArgumentException e) {
        throw new InvalidValueException("default", e.getMessage());
      }
    }
  }

  /** The field as the configuration writes it. */
  @JsonCreator
  static EntitlementField fromConfig(@JsonProperty("name") String name, @JsonProperty("type") String type,
      @JsonProperty("default") Object defaultValue, @JsonProperty("visible") Boolean visible) {
    Check.required("type", type);
    if (defaultValue != null && !(defaultValue instanceof String || defaultValue instanceof Number
        || defaultValue instanceof Boolean)) {
      throw new InvalidValueException("default", "must be a single value");
    }
    EntitlementType t = EntitlementType.of(type);
    if (t == null) {
      throw new InvalidValueException("type", "'" + type + "' is not integer, boolean, string or date");
    }
    return new EntitlementField(name, t, defaultValue == null ? null : defaultValue.toString(), visible != null && visible);
  }

  /**
   * What a license is entitled to under {@code fields}: each field's value in {@code values}
   * (canonical texts, as the store keeps them), else its default, typed ({@link
   * EntitlementType#typed}), in the order of {@code fields}. A field with neither is left out, and
   * so is a stored value of a field not in {@code fields}.
   */
  public static java.util.Map<String, Object> values(java.util.List<EntitlementField> fields,
      java.util.Map<String, String> values) {
    java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
    for (EntitlementField f : fields) {
      String v = values.getOrDefault(f.name(), f.defaultValue());
      if (v != null) {
        try {
          out.put(f.name(), f.type().typed(f.type().canonical(v)));
        } catch (IllegalArgumentException changedType) {
          // The field's type changed since the value was set: the default stands in for it.
          if (f.defaultValue() != null) {
            out.put(f.name(), f.type().typed(f.defaultValue()));
          }
        }
      }
    }
    return out;
  }
}
