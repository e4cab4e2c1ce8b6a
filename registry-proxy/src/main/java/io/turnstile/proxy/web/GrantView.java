package io.turnstile.proxy.web;

/**
 * One grant of a license as the pages show it: {@code kind} is exact, range or all, as the admin
 * API names it; {@code value} the version, the range, or {@code *}.
 */
public record GrantView(String kind, String value, boolean includePrerelease) {
  public boolean exact() {
    return kind.equals("exact");
  }

  /** The kind in words, as the pages show it beside the value. */
  public String kindLabel() {
    String k = switch (kind) {
      case "exact" -> "exact";
      case "all" -> "all versions";
      default -> "range";
    };
    return includePrerelease ? k + " + pre-releases" : k;
  }

  /** The value and its kind in one line: {@code 2.x (range + pre-releases)}. */
  public String label() {
    return value + " (" + kindLabel() + ")";
  }
}
