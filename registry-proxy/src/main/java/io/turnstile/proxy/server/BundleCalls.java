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
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

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

  /**
   * Starts a bundle; on the event loop. A portal session may have to be read from the store, so it
   * is found off the loop, and the bundle starts back on it unless the connection has ended
   * meanwhile. {@code started} receives the call once it runs; {@code failed} a refusal.
   */
  static void start(RegistryServices services, ChannelHandlerContext ctx, HttpRequest request, String licenseId,
      boolean fromPortal, InetAddress client, RequestRecord record, RegistryBackend.Completion done,
      Consumer<RegistryBackend.Call> started, Consumer<RegistryException> failed) {
    try {
      if (!fromPortal) {
        started.accept(start(services, ctx, request, licenseId, basic(services, request, client), record, done));
        return;
      }
      services.portal().sessionAccess(ctx, request, client, access -> {
        if (!ctx.channel().isActive()) {
          return;
        }
        try {
          started.accept(start(services, ctx, request, licenseId, portal(access), record, done));
        } catch (RegistryException e) {
          failed.accept(e);
        }
      });
    } catch (RegistryException e) {
      failed.accept(e);
    } catch (RejectedExecutionException e) {
      failed.accept(new RegistryException(RegistryError.UPSTREAM_UNAVAILABLE, "busy, try again"));
    }
  }

  private static RegistryBackend.Call start(RegistryServices services, ChannelHandlerContext ctx, HttpRequest request,
      String licenseId, Access access, RequestRecord record, RegistryBackend.Completion done) throws RegistryException {
    if (record != null) {
      record.principal(access.principal());
    }
    return services.backend().bundle(ctx, request, licenseId, access, true, done);
  }

  /** The access a portal session was found to hold; null when it has ended. */
  private static Access portal(Access access) throws RegistryException {
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
