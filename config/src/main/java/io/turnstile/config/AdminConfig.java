package io.turnstile.config;

import java.net.URI;

/**
 * The admin API listener, separate from the public port, and the vendor console's sign-in.
 *
 * @param listen where to listen; default {@code 127.0.0.1:9091}
 * @param token the bearer token every admin call must carry; required, at least 16 characters, and not
 *     {@link #EXAMPLE_TOKEN} unless {@code listen} is loopback. With {@code oidc} it stays the
 *     break-glass credential
 * @param tls TLS on the admin listener; default none (plain HTTP)
 * @param publicUrl the admin listener's URL as browsers reach it (through a proxy, say), without a
 *     path; the console's OpenID Connect redirect URI is {@code <publicUrl>/console/oidc/callback}.
 *     Required with {@code oidc}
 * @param oidc console sign-in through an OpenID Connect provider; default none: the console signs in
 *     with the admin token only
 */
public record AdminConfig(HostPort listen, String token, TlsConfig tls, URI publicUrl, OidcConfig oidc) {
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
    if (publicUrl != null) {
      Check.httpUrl("publicUrl", publicUrl);
      String path = publicUrl.getRawPath();
      if ((path != null && !path.isEmpty() && !path.equals("/")) || publicUrl.getRawQuery() != null
          || publicUrl.getRawFragment() != null || publicUrl.getRawUserInfo() != null) {
        throw new InvalidValueException("publicUrl", "must be scheme, host and port only (e.g. https://turnstile-admin.example.com)");
      }
      publicUrl = URI.create(publicUrl.getScheme() + "://" + publicUrl.getRawAuthority());
    }
    if (oidc != null && publicUrl == null) {
      throw new InvalidValueException("publicUrl", "is required with oidc: the redirect URI registered at the"
          + " provider is <publicUrl>/console/oidc/callback");
    }
  }

  /** The admin listener without a public URL or single sign-on. */
  public AdminConfig(HostPort listen, String token, TlsConfig tls) {
    this(listen, token, tls, null, null);
  }

  @Override
  public String toString() {
    return "AdminConfig[listen=" + listen + ", token=***, tls=" + tls + ", publicUrl=" + publicUrl + ", oidc=" + oidc + "]";
  }
}
