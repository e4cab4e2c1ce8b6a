package io.turnstile.proxy.oci;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** The one map from failure to answer, row by row. */
class RegistryErrorsTest {
  private final ObjectMapper json = new ObjectMapper();

  private JsonNode body(FullHttpResponse r) throws Exception {
    try {
      return json.readTree(r.content().toString(StandardCharsets.UTF_8));
    } finally {
      r.release();
    }
  }

  @ParameterizedTest
  @EnumSource(RegistryError.class)
  void everyRowIsAnsweredWithItsStatusCodeAndMessage(RegistryError row) throws Exception {
    FullHttpResponse r = RegistryErrors.answer(new RegistryException(row, "why \"it\" failed"), false);
    assertThat(r.status().code()).isEqualTo(row.status());
    assertThat(r.headers().get("Content-Type")).isEqualTo("application/json");
    assertThat(r.headers().get("Docker-Distribution-API-Version")).isEqualTo("registry/2.0");
    JsonNode error = body(r).get("errors").get(0);
    assertThat(error.get("code").asText()).isEqualTo(row.code());
    assertThat(error.get("message").asText()).isEqualTo("why \"it\" failed");
  }

  @ParameterizedTest
  @EnumSource(RegistryError.class)
  void everyRowIsInTheReadmesTable(RegistryError row) throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"));
    assertThat(readme).contains("| " + row.status() + " | `" + row.code() + "` | " + row.when() + " |");
  }

  @Test
  void aHeadAnswerAnnouncesTheBodyItLeavesOut() {
    FullHttpResponse get = RegistryErrors.answer(new RegistryException(RegistryError.DENIED, "no"), false);
    FullHttpResponse head = RegistryErrors.answer(new RegistryException(RegistryError.DENIED, "no"), true);
    assertThat(head.content().readableBytes()).isZero();
    assertThat(head.headers().get("Content-Length")).isEqualTo(get.headers().get("Content-Length"));
    get.release();
    head.release();
  }

  @Test
  void headersAndTheOAuthErrorTravelWithTheFailure() throws Exception {
    RegistryException e = new RegistryException(RegistryError.TOO_MANY_REQUESTS, "slow down")
        .withHeader("Retry-After", "7").withOAuthError("slow_down");
    FullHttpResponse r = RegistryErrors.answer(e, false);
    assertThat(r.headers().get("Retry-After")).isEqualTo("7");
    JsonNode b = body(r);
    assertThat(b.get("error").asText()).isEqualTo("slow_down");
    assertThat(b.get("error_description").asText()).isEqualTo("slow down");
    assertThat(e.as(RegistryError.DENIED).headers()).containsEntry("Retry-After", "7");
  }

  @ParameterizedTest
  @CsvSource({
      "404, BLOB_UNKNOWN, BLOB_UNKNOWN",
      "404, MANIFEST_UNKNOWN, MANIFEST_UNKNOWN",
      "429, BLOB_UNKNOWN, TOO_MANY_REQUESTS",
      "503, BLOB_UNKNOWN, UPSTREAM_UNAVAILABLE",
      "504, BLOB_UNKNOWN, UPSTREAM_TIMEOUT",
      "500, BLOB_UNKNOWN, UPSTREAM_FAILED",
      "502, BLOB_UNKNOWN, UPSTREAM_FAILED",
      "401, BLOB_UNKNOWN, UPSTREAM_FAILED",
      "403, BLOB_UNKNOWN, UPSTREAM_FAILED",
      "400, BLOB_UNKNOWN, UPSTREAM_FAILED"})
  void upstreamStatusesMapToTheirRows(int status, RegistryError notFound, RegistryError expected) {
    RegistryException e = RegistryErrors.fromUpstream(status, notFound, "reading x", "3");
    assertThat(e.error()).isEqualTo(expected);
    boolean passesRetryAfter = status == 429 || status == 503;
    assertThat(e.headers().containsKey("Retry-After")).isEqualTo(passesRetryAfter);
  }

  @Test
  void failuresInsideFuturesAreUnwrapped_andAnythingElseIsInternal() {
    RegistryException denied = new RegistryException(RegistryError.DENIED, "no");
    assertThat(RegistryErrors.from(new CompletionException(denied))).isSameAs(denied);
    assertThat(RegistryErrors.from(denied)).isSameAs(denied);
    RegistryException internal = RegistryErrors.from(new IllegalStateException("secret detail"));
    assertThat(internal.error()).isEqualTo(RegistryError.INTERNAL);
    assertThat(internal.getMessage()).isEqualTo("internal error").doesNotContain("secret");
  }

  @Test
  void requestsTheDecoderCouldNotReadMapToTheirRows() {
    assertThat(RegistryErrors.malformedRequest(new TooLongHttpLineException("x")).error())
        .isEqualTo(RegistryError.URI_TOO_LONG);
    assertThat(RegistryErrors.malformedRequest(new TooLongHttpHeaderException("x")).error())
        .isEqualTo(RegistryError.HEADERS_TOO_LARGE);
    assertThat(RegistryErrors.malformedRequest(new DecoderException("x")).error()).isEqualTo(RegistryError.BAD_REQUEST);
  }
}
