package io.turnstile.proxy.web;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A page request, read whole: the raw path, query and form parameters (a form only from an {@code
 * application/x-www-form-urlencoded} body), the cookies, and the client's address (null when
 * unknown).
 */
public record WebRequest(
    String method,
    String path,
    Map<String, List<String>> query,
    Map<String, List<String>> form,
    Map<String, String> cookies,
    String lastEventId,
    InetAddress client) {
  /** Most form fields read from one body. */
  private static final int MAX_PARAMS = 1024;

  public WebRequest {
    query = Map.copyOf(query);
    form = Map.copyOf(form);
    cookies = Map.copyOf(cookies);
  }

  /** Reads {@code request} and its {@code body} (empty for none). */
  public static WebRequest of(HttpRequest request, byte[] body, InetAddress client) {
    QueryStringDecoder uri = new QueryStringDecoder(request.uri());
    Map<String, List<String>> form = Map.of();
    String type = request.headers().get(HttpHeaderNames.CONTENT_TYPE);
    if (body.length > 0 && type != null
        && type.regionMatches(true, 0, HttpHeaderValues.APPLICATION_X_WWW_FORM_URLENCODED.toString(), 0,
            HttpHeaderValues.APPLICATION_X_WWW_FORM_URLENCODED.length())) {
      form = new QueryStringDecoder(new String(body, StandardCharsets.UTF_8), StandardCharsets.UTF_8, false,
          MAX_PARAMS).parameters();
    }
    Map<String, String> cookies = new HashMap<>();
    String header = request.headers().get(HttpHeaderNames.COOKIE);
    if (header != null) {
      for (Cookie c : ServerCookieDecoder.STRICT.decode(header)) {
        cookies.putIfAbsent(c.name(), c.value());
      }
    }
    return new WebRequest(request.method().name(), uri.rawPath(), uri.parameters(), form, cookies,
        request.headers().get("Last-Event-ID"), client);
  }

  /** The first value of form field {@code name}, or null. */
  public String field(String name) {
    List<String> v = form.get(name);
    return v == null || v.isEmpty() ? null : v.get(0);
  }

  /** Every value of form field {@code name}. */
  public List<String> fields(String name) {
    return form.getOrDefault(name, List.of());
  }

  /** The first value of query parameter {@code name}, or null. */
  public String param(String name) {
    List<String> v = query.get(name);
    return v == null || v.isEmpty() ? null : v.get(0);
  }

  public boolean isGet() {
    return method.equals("GET") || method.equals("HEAD");
  }

  public boolean isPost() {
    return method.equals("POST");
  }
}
