package io.turnstile.proxy.testing;

import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A browser as far as the console's and portal's rules go: it keeps cookies, does not follow
 * redirects (tests look at them), and reads the CSRF token out of the last page's forms.
 */
public final class Browser {
  private static final Pattern CSRF = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"");

  public final CookieManager cookies;
  private final HttpClient http;
  private final String base;
  private String lastPage = "";

  public Browser(String base) {
    this(base, new CookieManager());
  }

  private Browser(String base, CookieManager cookies) {
    this.base = base;
    this.cookies = cookies;
    this.http = HttpClient.newBuilder().cookieHandler(cookies).followRedirects(HttpClient.Redirect.NEVER).build();
  }

  /**
   * The same browser, its cookies shared, talking to {@code otherBase}: another replica behind the
   * same name, as a load balancer without sticky sessions would send it there.
   */
  public Browser at(String otherBase) {
    return new Browser(otherBase, cookies);
  }

  public HttpResponse<String> get(String path) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path)).build(),
        HttpResponse.BodyHandlers.ofString());
    lastPage = r.body();
    return r;
  }

  /** Posts {@code fields} as a form; "csrf" is added from the last page unless given. */
  public HttpResponse<String> post(String path, Map<String, String> fields) throws Exception {
    Map<String, String> all = new LinkedHashMap<>();
    String csrf = csrf();
    if (csrf != null) {
      all.put("csrf", csrf);
    }
    all.putAll(fields);
    all.values().removeIf(v -> v == null);
    return postRaw(path, all);
  }

  /** Posts exactly {@code fields}, nothing added. */
  public HttpResponse<String> postRaw(String path, Map<String, String> fields) throws Exception {
    String body = fields.entrySet().stream()
        .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
        .collect(Collectors.joining("&"));
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    lastPage = r.body();
    return r;
  }

  /** The CSRF token in the last page's forms, or null. */
  public String csrf() {
    Matcher m = CSRF.matcher(lastPage);
    return m.find() ? m.group(1) : null;
  }

  public HttpClient client() {
    return http;
  }

  public String base() {
    return base;
  }
}
