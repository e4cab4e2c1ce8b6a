package io.turnstile.proxy.server;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.turnstile.proxy.licensing.LicenseCheck;
import io.turnstile.proxy.oci.HttpResponses;
import io.turnstile.proxy.oci.RegistryError;
import io.turnstile.proxy.oci.RegistryErrors;
import io.turnstile.proxy.oci.RegistryException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;

/**
 * The HTTP side of {@link LicenseCheck}: {@code GET /.well-known/license-keys.json} answers the
 * license-signing public keys; {@code POST /v1/licenses/validate} answers the signed check as
 * {@code application/jwt}, or a refusal in the registry's JSON error form. Never cached.
 */
final class LicenseCheckCall {
  private LicenseCheckCall() {}

  /**
   * @param body the POST body as read (at most {@link RegistryFrontend#MAX_FORM}); null for none
   * @param tooLarge whether the body was over that and left unread
   */
  static FullHttpResponse answer(LicenseCheck check, HttpRequest request, String path, byte[] body, boolean tooLarge,
      InetAddress client) {
    HttpMethod method = request.method();
    boolean head = method.equals(HttpMethod.HEAD);
    FullHttpResponse response;
    try {
      if (path.equals(LicenseCheck.KEYS_PATH)) {
        if (!method.equals(HttpMethod.GET) && !head) {
          throw new RegistryException(RegistryError.UNSUPPORTED, "GET only").withHeader("Allow", "GET, HEAD");
        }
        response = HttpResponses.json(200, check.publicKeys(), head);
      } else {
        if (!method.equals(HttpMethod.POST)) {
          throw new RegistryException(RegistryError.UNSUPPORTED, "POST only").withHeader("Allow", "POST");
        }
        if (tooLarge) {
          throw new RegistryException(RegistryError.BAD_REQUEST, "license check body too large");
        }
        byte[] jws = check.answer(body, client).getBytes(StandardCharsets.US_ASCII);
        response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(jws));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/jwt")
            .setInt(HttpHeaderNames.CONTENT_LENGTH, jws.length);
      }
    } catch (RegistryException e) {
      response = RegistryErrors.answer(e, head);
    }
    response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
    return response;
  }
}
