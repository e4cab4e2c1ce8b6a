package io.turnstile.config;

/**
 * The admin API listener, separate from the public port.
 *
 * @param listen where to listen; default {@code 127.0.0.1:9091}
 * @param token the bearer token every admin call must carry; required, at least 16 characters
 * @param tls TLS on the admin listener; default none (plain HTTP)
 */
public record AdminConfig(HostPort listen, String token, TlsConfig tls) {
  public AdminConfig {
    listen = listen == null ? HostPort.parse("127.0.0.1:9091") : listen;
    Check.required("token", token);
    if (token.length() < 16) {
      throw new InvalidValueException("token", "must be at least 16 characters");
    }
  }

  @Override
  public String toString() {
    return "AdminConfig[listen=" + listen + ", token=***, tls=" + tls + "]";
  }
}
