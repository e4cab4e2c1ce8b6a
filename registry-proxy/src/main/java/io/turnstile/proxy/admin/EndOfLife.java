package io.turnstile.proxy.admin;

import io.turnstile.config.ApplicationConfig;
import io.turnstile.config.InvalidValueException;
import io.turnstile.config.Versions;
import io.turnstile.store.InvalidInputException;
import io.turnstile.store.TagVersions;
import io.turnstile.store.VersionRange;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.semver4j.Semver;

/**
 * The versions each application's vendor marks end of life ({@code applications[].endOfLife}), read
 * once at start. An entry covers a version equal to it or, when the entry reads as a range (npm
 * syntax, as license ranges), every semantic version inside it, pre-releases included: a release
 * candidate of a retired line is retired too.
 */
public final class EndOfLife {
  private record Entry(String text, VersionRange range) {}

  private final Map<String, List<Entry>> byApplication = new HashMap<>();

  /**
   * @throws InvalidValueException naming {@code applications[i].endOfLife[j]} when an entry is
   *     neither a version nor a range
   */
  public EndOfLife(List<ApplicationConfig> applications) {
    for (int i = 0; i < applications.size(); i++) {
      ApplicationConfig app = applications.get(i);
      List<Entry> entries = new ArrayList<>();
      for (int j = 0; j < app.endOfLife().size(); j++) {
        String text = app.endOfLife().get(j).strip();
        entries.add(new Entry(text, range(text, "applications[" + i + "].endOfLife[" + j + "]")));
      }
      byApplication.put(app.name(), List.copyOf(entries));
    }
  }

  private static VersionRange range(String text, String field) {
    try {
      return VersionRange.parse(field, text, true);
    } catch (InvalidInputException e) {
      if (Versions.isValidVersion(text)) {
        // An exact version that is no range (2024.01, v1) matches by equality alone.
        return null;
      }
      throw new InvalidValueException(field, "'" + text + "' is neither a version nor a version range"
          + " (npm syntax, e.g. 1.x, <2.0.0)");
    }
  }

  /** Whether {@code version} of {@code application} is end of life. */
  public boolean covers(String application, String version) {
    List<Entry> entries = byApplication.get(application);
    if (entries == null || entries.isEmpty() || version == null) {
      return false;
    }
    Semver semver = TagVersions.semver(version);
    for (Entry e : entries) {
      if (e.text().equals(version) || (e.range() != null && e.range().matches(semver))) {
        return true;
      }
    }
    return false;
  }

  /** The entries of {@code application} as configured; empty for none or an unknown application. */
  public List<String> entries(String application) {
    return byApplication.getOrDefault(application, List.of()).stream().map(Entry::text).toList();
  }
}
