package io.turnstile.proxy.oci;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one map from failure to answer: an upstream's status, an exception or a request the HTTP
 * decoder could not read becomes a {@link RegistryException}, and a {@link RegistryException}
 * becomes the JSON error answer ({@code {"errors":[{"code","message","detail"}]}}, plus the OAuth2
 * {@code error} and {@code error_description} from the token endpoint), with its headers.
 */
public final class RegistryErrors {
  private static final Logger log = LoggerFactory.getLogger(RegistryErrors.class);

  private RegistryErrors() {}

  /**
   * The error for an upstream answer that is not a success.
   *
   * @param notFound what a 404 means for this request (e.g. {@link RegistryError#BLOB_UNKNOWN})
   * @param what what was asked, for the message, e.g. "listing tags"; null for none
   * @param retryAfter the upstream's {@code Retry-After}, passed on for 429 and 503; may be null
   */
  public static RegistryException fromUpstream(int status, RegistryError notFound, String what, String retryAfter) {
    RegistryError error = switch (status) {
      case 404 -> notFound;
      case 429 -> RegistryError.TOO_MANY_REQUESTS;
      case 503 -> RegistryError.UPSTREAM_UNAVAILABLE;
      case 504 -> RegistryError.UPSTREAM_TIMEOUT;
      default -> RegistryError.UPSTREAM_FAILED;
    };
    String message = status == 404 ? notFoundMessage(notFound)
        : "the upstream registry answered " + status + (what == null ? "" : " " + what);
    RegistryException e = new RegistryException(error, message);
    if (retryAfter != null && (status == 429 || status == 503)) {
      e = e.withHeader("Retry-After", retryAfter);
    }
    return e;
  }

  private static String notFoundMessage(RegistryError notFound) {
    return switch (notFound) {
      case BLOB_UNKNOWN -> "blob unknown to registry";
      case MANIFEST_UNKNOWN -> "manifest unknown";
      default -> "not found";
    };
  }

  /**
   * Any failure as the error to answer: a {@link RegistryException} as it is (through the wrappers
   * of futures), anything else a 500 that is logged, since it means a defect in Turnstile.
   */
  public static RegistryException from(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof RegistryException e) {
      return e;
    }
    log.error("request failed inside Turnstile", t);
    return new RegistryException(RegistryError.INTERNAL, "internal error");
  }

  /** The error for a request the HTTP decoder could not read; the connection closes after it. */
  public static RegistryException malformedRequest(Throwable cause) {
    if (cause instanceof TooLongHttpLineException) {
      return new RegistryException(RegistryError.URI_TOO_LONG, "request line too long");
    }
    if (cause instanceof TooLongHttpHeaderException || cause instanceof TooLongFrameException) {
      return new RegistryException(RegistryError.HEADERS_TOO_LARGE, "request headers too large");
    }
    return new RegistryException(RegistryError.BAD_REQUEST, "malformed HTTP request");
  }

  /**
   * The answer for {@code e}; for HEAD the body is left out but its length is announced. The answer
   * is an {@link ErrorAnswer}, so whoever watches responses go out learns the failure behind it.
   */
  public static FullHttpResponse answer(RegistryException e, boolean head) {
    StringBuilder sb = new StringBuilder("{\"errors\":[{\"code\":\"").append(e.error().code())
        .append("\",\"message\":\"").append(HttpResponses.escape(e.getMessage())).append('"');
    if (e.detail() != null) {
      sb.append(",\"detail\":\"").append(HttpResponses.escape(e.detail())).append('"');
    }
    sb.append("}]");
    if (e.oauthError() != null) {
      sb.append(",\"error\":\"").append(HttpResponses.escape(e.oauthError()))
          .append("\",\"error_description\":\"").append(HttpResponses.escape(e.getMessage())).append('"');
    }
    sb.append('}');
    byte[] body = sb.toString().getBytes(StandardCharsets.UTF_8);
    FullHttpResponse r = HttpResponses.jsonHeaders(new ErrorAnswer(e, head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body)),
        body.length);
    for (Map.Entry<String, String> h : e.headers().entrySet()) {
      r.headers().set(h.getKey(), h.getValue());
    }
    return r;
  }
}
