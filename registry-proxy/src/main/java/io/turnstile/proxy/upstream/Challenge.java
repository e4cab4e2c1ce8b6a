package io.turnstile.proxy.upstream;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A parsed {@code WWW-Authenticate} challenge, e.g. {@code Bearer realm="https://auth.example/token",
 * service="registry",scope="repository:app:pull"}. Quoted values may contain commas and escaped
 * quotes.
 */
public record Challenge(String scheme, Map<String, String> params) {
  public static Challenge parse(String header) {
    if (header == null) {
      return null;
    }
    String h = header.trim();
    int sp = h.indexOf(' ');
    String scheme = (sp < 0 ? h : h.substring(0, sp)).toLowerCase(Locale.ROOT);
    Map<String, String> params = new LinkedHashMap<>();
    int i = sp < 0 ? h.length() : sp + 1;
    while (i < h.length()) {
      while (i < h.length() && (h.charAt(i) == ' ' || h.charAt(i) == ',')) i++;
      int eq = h.indexOf('=', i);
      if (eq < 0) break;
      String key = h.substring(i, eq).trim().toLowerCase(Locale.ROOT);
      i = eq + 1;
      StringBuilder value = new StringBuilder();
      if (i < h.length() && h.charAt(i) == '"') {
        i++;
        while (i < h.length() && h.charAt(i) != '"') {
          if (h.charAt(i) == '\\' && i + 1 < h.length()) i++;
          value.append(h.charAt(i++));
        }
        i++;
      } else {
        while (i < h.length() && h.charAt(i) != ',') value.append(h.charAt(i++));
      }
      params.put(key, value.toString().trim());
    }
    return new Challenge(scheme, Map.copyOf(params));
  }

  public String param(String name) {
    return params.get(name);
  }
}
