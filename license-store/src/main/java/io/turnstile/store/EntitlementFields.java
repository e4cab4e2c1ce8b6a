package io.turnstile.store;

import io.turnstile.config.ApplicationConfig;
import io.turnstile.config.EntitlementField;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The entitlement fields of every application: those of the configuration and those defined
 * through the admin API, kept in the store. The one place where validation, license files, the
 * online check, the portal, webhooks and the admin API learn an application's fields, so that a
 * field defined through the API is used exactly like a configured one. Immutable; every {@link
 * Snapshot} carries the current one.
 *
 * <p>An application's fields are its configured ones in the configuration's order, then those
 * defined through the API in the order they were first defined. A name is defined once: the API
 * refuses a configured name, and a stored definition whose name the configuration took since is
 * left out here (the configuration wins).
 */
public final class EntitlementFields {
  /** Where a field is defined. */
  public enum Source {
    /** In the configuration file: changed only there. */
    CONFIG("config"),
    /** Through the admin API (or the CLI, or the console): kept in the store. */
    API("api");

    private final String wireName;

    Source(String wireName) {
      this.wireName = wireName;
    }

    /** {@code config} or {@code api}, as the admin API writes it. */
    public String wireName() {
      return wireName;
    }
  }

  /** One field and where it is defined. */
  public record Field(EntitlementField definition, Source source) {
    public Field {
      Objects.requireNonNull(definition, "definition");
      Objects.requireNonNull(source, "source");
    }

    public String name() {
      return definition.name();
    }
  }

  /** A field defined through the API, as the store keeps it. */
  public record Stored(String application, EntitlementField definition) {
    public Stored {
      Objects.requireNonNull(application, "application");
      Objects.requireNonNull(definition, "definition");
    }
  }

  private final Map<String, List<Field>> byApplication;

  private EntitlementFields(Map<String, List<Field>> byApplication) {
    this.byApplication = byApplication;
  }

  /** The configured fields of {@code catalog}'s applications, none defined through the API. */
  public static EntitlementFields of(Catalog catalog) {
    return of(catalog, List.of());
  }

  /**
   * The configured fields of {@code catalog}'s applications followed by {@code stored}, in its
   * order. A stored field of an application the configuration no longer has is left out, and so
   * is one whose name the configuration defines.
   */
  public static EntitlementFields of(Catalog catalog, List<Stored> stored) {
    Map<String, List<Field>> out = new LinkedHashMap<>();
    for (ApplicationConfig app : catalog.applications().values()) {
      List<Field> fields = new ArrayList<>();
      app.entitlements().forEach(f -> fields.add(new Field(f, Source.CONFIG)));
      out.put(app.name(), fields);
    }
    for (Stored s : stored) {
      List<Field> fields = out.get(s.application());
      if (fields != null && fields.stream().noneMatch(f -> f.name().equals(s.definition().name()))) {
        fields.add(new Field(s.definition(), Source.API));
      }
    }
    out.replaceAll((app, fields) -> List.copyOf(fields));
    return new EntitlementFields(Collections.unmodifiableMap(out));
  }

  /** The fields of {@code application}, configured first; empty for an unknown application. */
  public List<Field> of(String application) {
    return byApplication.getOrDefault(application, List.of());
  }

  /** The definitions of {@code application}'s fields, in the order of {@link #of(String)}. */
  public List<EntitlementField> definitions(String application) {
    return of(application).stream().map(Field::definition).toList();
  }

  /** Field {@code name} of {@code application}, or null. */
  public Field field(String application, String name) {
    for (Field f : of(application)) {
      if (f.name().equals(name)) {
        return f;
      }
    }
    return null;
  }

  /**
   * What a license of {@code application} that sets {@code values} (canonical texts, as the store
   * keeps them) is entitled to: see {@link EntitlementField#values}.
   */
  public Map<String, Object> values(String application, Map<String, String> values) {
    return EntitlementField.values(definitions(application), values);
  }
}
