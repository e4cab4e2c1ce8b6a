package io.turnstile.proxy.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.turnstile.proxy.access.RegistryAuthenticator;
import io.turnstile.proxy.access.RegistryBackend;
import io.turnstile.proxy.observe.RequestRecord;
import io.turnstile.proxy.oci.Denial;
import io.turnstile.proxy.oci.HttpResponses;
import io.turnstile.proxy.oci.RegistryError;
import io.turnstile.proxy.oci.RegistryException;
import io.turnstile.proxy.oci.RegistryPath;
import io.turnstile.store.Access;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * The gate of the registry API, {@code /v2/}: who may do what, decided before the data plane sees
 * the request. A write is never forwarded: a stranger is challenged (401, as a push without
 * credentials expects) and a license holder refused (405), since Turnstile serves pulls only. A
 * read is authenticated for the scope its path needs; the base {@code /v2/} is answered here, and
 * everything else handed to the data plane with the caller's access.
 */
final class RegistryApiCall {
  private RegistryApiCall() {}

  /**
   * Starts the call for {@code path} ({@code /v2/...}); on the event loop.
   *
   * @param record learns the route and whom the call is for
   * @param answer receives the base path's answer, which is complete at once
   * @param finished runs once the data plane's answer is written, with whether the connection may
   *     carry another request
   * @param started receives the data plane's call, to be told when the client's socket drains; not
   *     called when the answer is made here
   * @throws RegistryException the refusal, for the caller to answer
   */
  static void start(RegistryServices services, ChannelHandlerContext ctx, HttpRequest request, String path,
      InetAddress client, RequestRecord record, Consumer<FullHttpResponse> answer, RegistryBackend.Completion finished,
      Consumer<RegistryBackend.Call> started) throws RegistryException {
    String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
    RegistryPath parsed = RegistryPath.parse(path);
    record.path(parsed);
    if (!isRead(request)) {
      // Writes are never forwarded: 401 for strangers, 405 for license holders.
      try {
        services.authenticator().authenticate(authorization, null, client);
      } catch (RegistryException e) {
        throw e.error() == RegistryError.UNAUTHORIZED ? e.as(RegistryError.WRITE_UNAUTHORIZED) : e;
      }
      throw new RegistryException(RegistryError.UNSUPPORTED, "Turnstile serves pulls only").deniedFor(Denial.WRITE);
    }
    Access access = services.authenticator().authenticate(authorization, RegistryAuthenticator.requiredScope(parsed),
        client);
    record.principal(access.principal());
    if (parsed.kind() == RegistryPath.Kind.BASE) {
      answer.accept(HttpResponses.json(200, "{}".getBytes(StandardCharsets.UTF_8),
          request.method().equals(HttpMethod.HEAD)));
      return;
    }
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    started.accept(services.backend().serve(ctx, request, parsed, access,
        reusable -> finished.finished(keepAlive && reusable)));
  }

  /** Whether {@code r} only reads: GET or HEAD. */
  static boolean isRead(HttpRequest r) {
    return r.method().equals(HttpMethod.GET) || r.method().equals(HttpMethod.HEAD);
  }
}
