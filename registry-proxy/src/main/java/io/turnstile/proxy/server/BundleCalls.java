package io.turnstile.proxy.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.turnstile.proxy.access.RegistryBackend;
import io.turnstile.proxy.observe.RequestRecord;
import io.turnstile.proxy.oci.Denial;
import io.turnstile.proxy.oci.RegistryError;
import io.turnstile.proxy.oci.RegistryException;
import io.turnstile.proxy.portal.Portal;
import io.turnstile.store.Access;
import java.net.InetAddress;

/**
 * Who may have an air-gap bundle, decided before the data plane builds it. On {@code
 * /bundles/{licenseId}}: Basic credentials only (a license or customer key, or a pull token), since
 * a registry token is scoped to single repositories and a bundle spans them all; a refusal
 * challenges for Basic, which is what {@code curl -u} answers. On {@code
 * /portal/bundles/{licenseId}}: the portal session's live access, for the download links of the
 * portal page.
 */
final class BundleCalls {
  private static final String BASIC_CHALLENGE = "Basic realm=\"turnstile\"";

  private static final String BUNDLES = "/bundles/";

  private BundleCalls() {}

  /** The license id a bundle path names ({@code /bundles/{id}}, or the portal's with a portal); else null. */
  static String licenseOf(String path, boolean portal) {
    if (path.startsWith(BUNDLES) && path.length() > BUNDLES.length()) {
      return path.substring(BUNDLES.length());
    }
    return portal ? Portal.bundleLicense(path) : null;
  }

  static RegistryBackend.Call start(RegistryServices services, ChannelHandlerContext ctx, HttpRequest request,
      String licenseId, boolean fromPortal, InetAddress client, RequestRecord record,
      RegistryBackend.Completion done) throws RegistryException {
    Access access = fromPortal ? portal(services, request, client) : basic(services, request, client);
    if (record != null) {
      record.principal(access.principal());
    }
    return services.backend().bundle(ctx, request, licenseId, access, true, done);
  }

  private static Access portal(RegistryServices services, HttpRequest request, InetAddress client)
      throws RegistryException {
    Access access = services.portal().sessionAccess(request, client);
    if (access == null) {
      throw new RegistryException(RegistryError.UNAUTHORIZED, "your portal session has ended: sign in again")
          .deniedFor(Denial.NO_CREDENTIALS);
    }
    return access;
  }

  private static Access basic(RegistryServices services, HttpRequest request, InetAddress client)
      throws RegistryException {
    String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
    if (authorization != null && !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
      throw new RegistryException(RegistryError.UNAUTHORIZED, "a bundle is asked for with Basic credentials")
          .withHeader("WWW-Authenticate", BASIC_CHALLENGE).deniedFor(Denial.BAD_CREDENTIALS);
    }
    try {
      return services.authenticator().authenticate(authorization, null, client);
    } catch (RegistryException e) {
      throw e.error() == RegistryError.UNAUTHORIZED ? e.withHeader("WWW-Authenticate", BASIC_CHALLENGE) : e;
    }
  }
}
