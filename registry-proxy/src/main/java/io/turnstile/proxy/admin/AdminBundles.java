package io.turnstile.proxy.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AttributeKey;
import io.turnstile.proxy.oci.RegistryException;
import io.turnstile.store.Access;
import io.turnstile.store.License;
import io.turnstile.store.LicenseId;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.Refusal;
import java.nio.charset.StandardCharsets;

/**
 * {@code GET|HEAD /admin/v1/licenses/{id}/bundle?version=..}: the vendor's way to an air-gap
 * bundle of a license (the CLI's {@code turnstile bundle}), built and streamed by the same data
 * plane as the customers' {@code /bundles/{id}}, with the license's own live access, so it holds
 * exactly what the license grants now. It runs on the connection's event loop, never on the
 * blocking executor, and streams with the connection's back-pressure. A license that is revoked or
 * expired gets {@code 409}; an unknown one {@code 404}.
 */
final class AdminBundles {
  private static final String PREFIX = "/admin/v1/licenses/";
  private static final String SUFFIX = "/bundle";
  /** The bundle under way on a connection, told when the client's socket drains. */
  static final AttributeKey<BundleSource.Streaming> CALL = AttributeKey.valueOf("turnstile.adminBundle");

  private final LicenseStore store;
  private final BundleSource source;
  private final ObjectMapper json;

  /** @param source the data plane's bundles */
  AdminBundles(LicenseStore store, BundleSource source, ObjectMapper json) {
    this.store = store;
    this.source = source;
    this.json = json;
  }

  /** The license id of a bundle path; null for any other path. */
  static String licenseOf(String path) {
    if (!path.startsWith(PREFIX) || !path.endsWith(SUFFIX)) {
      return null;
    }
    String id = path.substring(PREFIX.length(), path.length() - SUFFIX.length());
    return id.isEmpty() || id.indexOf('/') >= 0 ? null : id;
  }

  void serve(ChannelHandlerContext ctx, HttpRequest request, String licenseId, boolean keepAlive) {
    License license = store.snapshot().license(new LicenseId(licenseId));
    if (license == null) {
      error(ctx, 404, "no such license: " + licenseId, keepAlive);
      return;
    }
    if (!(store.authorizeCredential(license.keyId()) instanceof Access access)) {
      error(ctx, 409, "no bundle of license " + licenseId + ": "
          + ((Refusal) store.authorizeCredential(license.keyId())).reason().message(), keepAlive);
      return;
    }
    try {
      ctx.channel().attr(CALL).set(source.start(ctx, request, licenseId, access, reusable -> {
        ctx.channel().attr(CALL).set(null);
        if (!keepAlive || !reusable) {
          ctx.close();
        }
      }));
    } catch (RegistryException e) {
      error(ctx, e.error().status(), e.getMessage(), keepAlive);
    }
  }

  private void error(ChannelHandlerContext ctx, int status, String message, boolean keepAlive) {
    byte[] body = json.createObjectNode().put("error", message).toString().getBytes(StandardCharsets.UTF_8);
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
        Unpooled.wrappedBuffer(body));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    HttpUtil.setContentLength(r, body.length);
    HttpUtil.setKeepAlive(r, keepAlive);
    var f = ctx.writeAndFlush(r);
    if (!keepAlive) {
      f.addListener(ChannelFutureListener.CLOSE);
    }
  }
}
