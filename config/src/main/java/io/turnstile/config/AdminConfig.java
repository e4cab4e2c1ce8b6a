package io.turnstile.config;

/**
 * The admin API listener, separate from the public port.
 *
 * @param listen where to listen; default {@code 127.0.0.1:9091}
 * @param token the bearer token every admin call must carry; required, at least 16 characters, and not
 *     {@link #EXAMPLE_TOKEN} unless {@code listen} is loopback
 * @param tls TLS on the admin listener; default none (plain HTTP)
 */
public record AdminConfig(HostPort listen, String token, TlsConfig tls) {
  /** The token README.md's quick start uses: anyone can read it, so only a loopback listener takes it. */
  public static final String EXAMPLE_TOKEN = "change-me-0123456789";

  public AdminConfig {
    listen = listen == null ? HostPort.parse("127.0.0.1:9091") : listen;
    Check.required("token", token);
    if (token.length() < 16) {
      throw new InvalidValueException("token", "must be at least 16 characters");
    }
    if (token.equals(EXAMPLE_TOKEN) && !listen.isLoopback()) {
      throw new InvalidValueException("token", "is the README's example token, which anyone can read: choose your"
          + " own (e.g. openssl rand -hex 32), or listen on loopback only (admin.listen: 127.0.0.1:9091)");
    }
  }

  @Override
  public String toString() {
    return "AdminConfig[listen=" + listen + ", token=***, tls=" + tls + "]";
  }
}
