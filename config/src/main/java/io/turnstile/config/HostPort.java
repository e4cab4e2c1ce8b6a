package io.turnstile.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * A listen address such as {@code 127.0.0.1:8080}, {@code [::1]:8080} or {@code :8080} (all
 * interfaces). Port 0 picks a free port.
 */
public record HostPort(String host, int port) {
  public HostPort {
    if (host == null) {
      host = "0.0.0.0";
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is out of range");
    }
  }

  /** Parses {@code host:port}; a bracketed IPv6 host and an empty host are accepted. */
  @JsonCreator
  public static HostPort parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("is required");
    }
    int colon = text.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("'" + text + "' is not host:port");
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.contains(":")) {
      throw new IllegalArgumentException("'" + text + "': write an IPv6 host in brackets, e.g. [::1]:8080");
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "' has no numeric port");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("'" + text + "': port out of range");
    }
    return new HostPort(host.isEmpty() ? "0.0.0.0" : host, port);
  }

  /**
   * Whether the host is a loopback address, written as {@code localhost}, an IPv4 literal in
   * 127.0.0.0/8 or {@code ::1}; no name is looked up.
   */
  public boolean isLoopback() {
    String h = host.toLowerCase(java.util.Locale.ROOT);
    return h.equals("localhost") || h.matches("127(\\.[0-9]{1,3}){3}") || h.equals("::1") || h.equals("0:0:0:0:0:0:0:1");
  }

  @JsonValue
  @Override
  public String toString() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}
