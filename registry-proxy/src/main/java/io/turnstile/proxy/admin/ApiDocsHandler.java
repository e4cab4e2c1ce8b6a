package io.turnstile.proxy.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import io.turnstile.proxy.web.WebResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Properties;

/**
 * The admin API's contract and its reader, on the admin listener ahead of the API: {@code GET
 * /admin/v1/openapi.json} (the OpenAPI 3.1 document, kept in {@code openapi/admin-v1.yaml} and
 * served as JSON) and Swagger UI at {@code /admin/docs} from the {@code org.webjars:swagger-ui}
 * webjar. Neither needs a token: the document describes the API's shape and holds no data, and
 * every call made from Swagger UI still carries its own token. Everything is read once at start,
 * so nothing here blocks the event loop; only the listed names are served.
 */
@ChannelHandler.Sharable
final class ApiDocsHandler extends ChannelInboundHandlerAdapter {
  /** Where the document is served. */
  static final String DOCUMENT_PATH = "/admin/v1/openapi.json";
  /** Where Swagger UI is served. */
  static final String DOCS_PATH = "/admin/docs";
  /** The document's source in this jar. */
  static final String SOURCE = "/openapi/admin-v1.yaml";
  /**
   * The pages' policy, with images also from {@code data:} URLs, which Swagger UI's style sheet
   * uses for its icons. Still no inline script and no other origin.
   */
  static final String CONTENT_SECURITY_POLICY =
      WebResponse.CONTENT_SECURITY_POLICY.replace("img-src 'self'", "img-src 'self' data:");

  private final Map<String, WebResponse> answers;

  ApiDocsHandler(ObjectMapper json) {
    String ui = "/META-INF/resources/webjars/swagger-ui/" + swaggerUiVersion() + "/";
    this.answers = Map.of(
        DOCUMENT_PATH, WebResponse.bytes(200, "application/json", document(json)),
        DOCS_PATH, page("text/html; charset=utf-8", "/openapi/docs.html"),
        DOCS_PATH + "/", page("text/html; charset=utf-8", "/openapi/docs.html"),
        DOCS_PATH + "/docs.js", page("text/javascript; charset=utf-8", "/openapi/docs.js"),
        DOCS_PATH + "/swagger-ui-bundle.js", page("text/javascript; charset=utf-8", ui + "swagger-ui-bundle.js"),
        DOCS_PATH + "/swagger-ui.css", page("text/css; charset=utf-8", ui + "swagger-ui.css"));
  }

  /** The contract as JSON bytes, converted from its YAML source. */
  static byte[] document(ObjectMapper json) {
    try {
      return json.writeValueAsBytes(documentTree());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The contract, parsed from its YAML source in this jar. */
  static JsonNode documentTree() {
    try {
      return new ObjectMapper(new YAMLFactory()).readTree(read(SOURCE));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof FullHttpRequest request) || !request.decoderResult().isSuccess()
        || !(request.method().equals(HttpMethod.GET) || request.method().equals(HttpMethod.HEAD))) {
      ctx.fireChannelRead(msg);
      return;
    }
    WebResponse answer = answers.get(new QueryStringDecoder(request.uri()).rawPath());
    if (answer == null) {
      ctx.fireChannelRead(msg);
      return;
    }
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    boolean head = request.method().equals(HttpMethod.HEAD);
    ReferenceCountUtil.release(msg);
    var out = answer.toHttp(head);
    HttpUtil.setKeepAlive(out, keepAlive);
    var future = ctx.writeAndFlush(out);
    if (!keepAlive) {
      future.addListener(ChannelFutureListener.CLOSE);
    }
  }

  private static WebResponse page(String contentType, String resource) {
    return WebResponse.bytes(200, contentType, read(resource))
        .header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        .header("Cache-Control", "no-cache");
  }

  private static byte[] read(String resource) {
    try (InputStream in = ApiDocsHandler.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + resource);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String swaggerUiVersion() {
    String resource = "/META-INF/maven/org.webjars/swagger-ui/pom.properties";
    try (InputStream in = ApiDocsHandler.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + resource);
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
