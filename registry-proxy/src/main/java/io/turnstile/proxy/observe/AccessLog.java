package io.turnstile.proxy.observe;

import io.netty.handler.codec.http.QueryStringDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * The access log: one line per request to the public listener, on the logger {@value #LOGGER} at
 * INFO, with the request's fields as key-value pairs (their own JSON fields with {@code
 * logging.format: json}). Never a credential: no header but the User-Agent, no body, and of the
 * query only the parameters in {@link #LOGGED_PARAMETERS}, so a password or refresh token sent in
 * a query string is left out like everything else.
 */
public final class AccessLog {
  public static final String LOGGER = "turnstile.access";
  /** Query parameters worth logging, none of them secret: token scopes and list pagination. */
  static final Set<String> LOGGED_PARAMETERS = Set.of("scope", "service", "account", "client_id", "offline_token",
      "n", "last", "artifactType");
  /** Longest text logged from a request: room for the longest registry path (a 255-character name and a digest). */
  private static final int MAX_TEXT = 512;

  private final Logger log = LoggerFactory.getLogger(LOGGER);


  void write(RequestRecord r, long durationNanos, boolean aborted) {
    if (r.quiet || !log.isInfoEnabled()) {
      return;
    }
    LoggingEventBuilder e = log.atInfo()
        .addKeyValue("request_id", r.id)
        .addKeyValue("client", r.client)
        .addKeyValue("method", r.method)
        .addKeyValue("path", r.path);
    if (r.query != null) {
      e.addKeyValue("query", r.query);
    }
    e.addKeyValue("route", r.route.label());
    add(e, "license_id", r.licenseId);
    add(e, "customer_id", r.customerId);
    add(e, "repository", r.repository);
    add(e, "reference", r.reference);
    e.addKeyValue("status", r.status);
    if (r.failure != null) {
      e.addKeyValue("error_code", r.failure.error().code());
      if (r.failure.denial() != null) {
        e.addKeyValue("denial", r.failure.denial().label());
      }
    }
    e.addKeyValue("bytes", r.bytes);
    e.addKeyValue("duration_ms", millis(durationNanos));
    if (r.upstreamNanos >= 0) {
      e.addKeyValue("upstream_status", r.upstreamStatus);
      e.addKeyValue("upstream_ms", millis(r.upstreamNanos));
    }
    add(e, "user_agent", r.userAgent);
    if (aborted) {
      e.addKeyValue("aborted", true);
    }
    e.log(r.method + " " + r.path + " " + r.status);
  }

  private static void add(LoggingEventBuilder e, String key, String value) {
    if (value != null) {
      e.addKeyValue(key, value);
    }
  }

  private static double millis(long nanos) {
    return Math.round(nanos / 1_000.0) / 1_000.0;
  }

  /** The query of {@code uri} as logged: only {@link #LOGGED_PARAMETERS}; null when none is left. */
  static String loggedQuery(String uri) {
    int q = uri.indexOf('?');
    if (q < 0) {
      return null;
    }
    StringBuilder sb = new StringBuilder();
    QueryStringDecoder decoder = new QueryStringDecoder(uri, StandardCharsets.UTF_8, true, 64);
    for (Map.Entry<String, List<String>> p : decoder.parameters().entrySet()) {
      if (!LOGGED_PARAMETERS.contains(p.getKey())) {
        continue;
      }
      for (String v : p.getValue()) {
        if (sb.length() > 0) {
          sb.append('&');
        }
        sb.append(p.getKey()).append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8));
      }
    }
    return sb.length() == 0 ? null : printable(sb.toString());
  }

  /** {@code s} as it may go into a log line: printable ASCII, at most {@value #MAX_TEXT} characters. */
  static String printable(String s) {
    if (s == null) {
      return null;
    }
    int n = Math.min(s.length(), MAX_TEXT);
    StringBuilder sb = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      sb.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    if (s.length() > MAX_TEXT) {
      sb.append("...");
    }
    return sb.toString();
  }
}
