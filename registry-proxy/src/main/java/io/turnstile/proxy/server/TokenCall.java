package io.turnstile.proxy.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.turnstile.proxy.oci.HttpResponses;
import io.turnstile.proxy.oci.RegistryErrors;
import io.turnstile.proxy.oci.RegistryException;
import io.turnstile.proxy.observe.RequestRecord;
import io.turnstile.proxy.token.TokenEndpoint;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The token endpoint's HTTP side: a GET's query, or a POST's form, handed to {@link TokenEndpoint},
 * and its grant or refusal as the JSON answer, never cached.
 */
final class TokenCall {
  /** Most form fields read from a POST. */
  private static final int MAX_FIELDS = 1024;

  private TokenCall() {}

  /**
   * @param form the POST body as read (at most {@link RegistryFrontend#MAX_FORM}); null for none
   * @param record learns whom the token is for
   */
  static FullHttpResponse answer(RegistryServices services, HttpRequest request, Map<String, List<String>> query,
      String form, InetAddress client, RequestRecord record) {
    Map<String, List<String>> fields = form == null ? Map.of()
        : new QueryStringDecoder(form, StandardCharsets.UTF_8, false, MAX_FIELDS).parameters();
    FullHttpResponse response;
    try {
      TokenEndpoint.Granted granted = services.tokens().handle(new TokenEndpoint.Request(
          request.method().name(), query, fields, request.headers().get(HttpHeaderNames.AUTHORIZATION), client));
      record.principal(granted.principal());
      response = HttpResponses.json(200, services.json().writeValueAsBytes(granted.body()), false);
    } catch (RegistryException e) {
      response = RegistryErrors.answer(e, false);
    } catch (JsonProcessingException e) {
      response = RegistryErrors.answer(RegistryErrors.from(e), false);
    }
    response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
    return response;
  }
}
