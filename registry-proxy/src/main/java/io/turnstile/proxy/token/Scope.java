package io.turnstile.proxy.token;

import io.turnstile.config.RepositoryNames;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One resource scope of the registry token protocol: {@code type[(class)]:name:action[,action]*}.
 * The name may start with {@code host:port/}, so the type ends at the first colon and the actions
 * start after the last one.
 */
public record Scope(String type, String resourceClass, String name, Set<String> actions) {
  private static final Pattern TYPE_VALUE = Pattern.compile("[a-z0-9]+");
  private static final Pattern ACTION = Pattern.compile("[a-z*]*");
  /** A repository name, optionally after the registry's {@code host[:port]/}. */
  private static final Pattern NAME = Pattern.compile(
      "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?/)?"
          + RepositoryNames.NAME.pattern());
  /** Longest resource name accepted (the distribution spec's limit). */
  public static final int MAX_NAME = RepositoryNames.MAX_LENGTH;

  public Scope {
    actions = Set.copyOf(new LinkedHashSet<>(actions));
  }

  /** Parses one resource scope; empty for anything that does not follow the grammar. */
  public static Optional<Scope> parse(String text) {
    if (text == null || text.length() > MAX_NAME + 100) {
      return Optional.empty();
    }
    int first = text.indexOf(':');
    int last = text.lastIndexOf(':');
    if (first <= 0 || last == first) {
      return Optional.empty();
    }
    String type = text.substring(0, first);
    String resourceClass = null;
    int open = type.indexOf('(');
    if (open >= 0) {
      if (!type.endsWith(")")) {
        return Optional.empty();
      }
      resourceClass = type.substring(open + 1, type.length() - 1);
      type = type.substring(0, open);
      if (!TYPE_VALUE.matcher(resourceClass).matches()) {
        return Optional.empty();
      }
    }
    if (!TYPE_VALUE.matcher(type).matches()) {
      return Optional.empty();
    }
    String name = text.substring(first + 1, last);
    if (name.isEmpty() || name.length() > MAX_NAME || !NAME.matcher(name).matches()) {
      return Optional.empty();
    }
    Set<String> actions = new LinkedHashSet<>();
    for (String a : text.substring(last + 1).split(",", -1)) {
      if (!ACTION.matcher(a).matches()) {
        return Optional.empty();
      }
      if (!a.isEmpty()) {
        actions.add(a);
      }
    }
    return Optional.of(new Scope(type, resourceClass, name, actions));
  }

  /**
   * Parses a list of scope parameters, each of which may hold several space-separated scopes;
   * malformed scopes are skipped.
   */
  public static List<Scope> parseAll(List<String> params) {
    List<Scope> out = new ArrayList<>();
    for (String param : params) {
      for (String s : param.split(" ")) {
        if (!s.isEmpty()) {
          parse(s).ifPresent(out::add);
        }
      }
    }
    return out;
  }

  /** The scope in the wire grammar, actions sorted. */
  @Override
  public String toString() {
    return type + (resourceClass == null ? "" : "(" + resourceClass + ")") + ":" + name + ":"
        + String.join(",", actions.stream().sorted().toList());
  }
}
