package io.turnstile.proxy.web;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A page answer. Every answer carries the same security headers (see {@link #secure}): a strict
 * Content-Security-Policy that allows scripts and styles from Turnstile's own files only, never
 * inline, no framing, no sniffing, no referrer, and no caching of pages.
 */
public final class WebResponse {
  /** Scripts, styles and connections (the portal's event stream) from this origin only; no inline code. */
  public static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
      + "img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

  private final int status;
  private final String contentType;
  private final byte[] body;
  private final Map<String, String> headers = new LinkedHashMap<>();
  private final List<String> cookies = new ArrayList<>();

  private WebResponse(int status, String contentType, byte[] body) {
    this.status = status;
    this.contentType = contentType;
    this.body = body;
  }

  public static WebResponse html(int status, String html) {
    return new WebResponse(status, "text/html; charset=utf-8", html.getBytes(StandardCharsets.UTF_8));
  }

  public static WebResponse text(int status, String text) {
    return new WebResponse(status, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
  }

  public static WebResponse bytes(int status, String contentType, byte[] body) {
    return new WebResponse(status, contentType, body);
  }

  /**
   * 503 while the database is unreachable: a page that needs it (a session this replica does not
   * hold, signing in or out) waits for its return; sessions this replica holds go on meanwhile.
   */
  public static WebResponse storeUnavailable() {
    return text(503, "the database is unreachable, so this page cannot be served now; try again shortly"
        + " (pages of a session this server already holds keep working)").header("Retry-After", "5");
  }

  /** 303 See Other: after a form, the browser GETs {@code location}. */
  public static WebResponse redirect(String location) {
    return new WebResponse(303, null, new byte[0]).header("Location", location);
  }

  public WebResponse header(String name, String value) {
    headers.put(name, value);
    return this;
  }

  /** Adds a {@code Set-Cookie} header. */
  public WebResponse cookie(String setCookie) {
    cookies.add(setCookie);
    return this;
  }

  public int status() {
    return status;
  }

  public String contentType() {
    return contentType;
  }

  public String header(String name) {
    return headers.get(name);
  }

  public List<String> cookies() {
    return List.copyOf(cookies);
  }

  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }

  /** The Netty answer; {@code head}: headers only. */
  public FullHttpResponse toHttp(boolean head) {
    FullHttpResponse out = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
        head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
    if (contentType != null) {
      out.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
    }
    secure(out.headers());
    headers.forEach(out.headers()::set);
    cookies.forEach(c -> out.headers().add(HttpHeaderNames.SET_COOKIE, c));
    HttpUtil.setContentLength(out, body.length);
    return out;
  }

  /** The headers every page answer carries; a later {@link #header} may override the cache rule. */
  public static void secure(HttpHeaders h) {
    h.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    h.set("X-Frame-Options", "DENY");
    h.set("X-Content-Type-Options", "nosniff");
    h.set("Referrer-Policy", "no-referrer");
    h.set("Cross-Origin-Opener-Policy", "same-origin");
    h.set(HttpHeaderNames.CACHE_CONTROL, "no-store");
  }
}
