package io.turnstile.proxy.access;

import io.turnstile.proxy.oci.RegistryError;
import io.turnstile.proxy.oci.RegistryException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The relay from upstream answer to client, on an {@link EmbeddedChannel}. */
class RelayTest {
  private final List<Boolean> finished = new ArrayList<>();
  private final AtomicInteger reads = new AtomicInteger();
  private final AtomicInteger cancels = new AtomicInteger();

  private EmbeddedChannel client() {
    return new EmbeddedChannel(new ChannelInboundHandlerAdapter());
  }

  private Relay relay(EmbeddedChannel ch) {
    ChannelHandlerContext ctx = ch.pipeline().firstContext();
    Relay relay = new Relay(ctx, false, true, RegistryError.BLOB_UNKNOWN, finished::add);
    relay.call(cancels::incrementAndGet);
    return relay;
  }

  private static HttpResponse head(int status) {
    HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status));
    r.headers().set("Content-Length", 10).set("Docker-Content-Digest", "sha256:x").set("Set-Cookie", "secret=1")
        .set("WWW-Authenticate", "Bearer realm=\"https://upstream.internal/token\"");
    return r;
  }

  private static HttpContent chunk(String s, boolean last) {
    return last ? new DefaultLastHttpContent(Unpooled.copiedBuffer(s, StandardCharsets.UTF_8))
        : new DefaultHttpContent(Unpooled.copiedBuffer(s, StandardCharsets.UTF_8));
  }

  @Test
  void aWholeAnswer_isStreamedWithOnlyTheForwardedHeaders() {
    EmbeddedChannel ch = client();
    Relay relay = relay(ch);
    relay.onHead(head(200));
    relay.onContent(chunk("01234", false), false, reads::incrementAndGet);
    relay.onContent(chunk("56789", true), true, reads::incrementAndGet);
    HttpResponse out = ch.readOutbound();
    assertThat(out.status().code()).isEqualTo(200);
    assertThat(out.headers().get("Docker-Content-Digest")).isEqualTo("sha256:x");
    assertThat(out.headers().contains("Set-Cookie")).isFalse();
    assertThat(out.headers().contains("WWW-Authenticate")).as("never the upstream's challenge").isFalse();
    StringBuilder body = new StringBuilder();
    Object o;
    while ((o = ch.readOutbound()) != null) {
      body.append(((HttpContent) o).content().toString(StandardCharsets.UTF_8));
      ReferenceCountUtil.release(o);
    }
    assertThat(body).hasToString("0123456789");
    assertThat(reads.get()).as("read on after a chunk while writable").isEqualTo(1);
    assertThat(finished).containsExactly(true);
    assertThat(ch.pipeline().get("relayWritability")).isNull();
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void anUpstream404_becomesAnOciErrorAndTheBodyIsDrained() {
    EmbeddedChannel ch = client();
    Relay relay = relay(ch);
    relay.onHead(head(404));
    relay.onContent(chunk("{\"errors\":", false), false, reads::incrementAndGet);
    relay.onContent(chunk("[]}", true), true, reads::incrementAndGet);
    FullHttpResponse out = ch.readOutbound();
    assertThat(out.status().code()).isEqualTo(404);
    assertThat(out.content().toString(StandardCharsets.UTF_8)).contains("BLOB_UNKNOWN");
    out.release();
    assertThat((Object) ch.readOutbound()).isNull();
    assertThat(reads.get()).isEqualTo(1);
    assertThat(finished).containsExactly(true);
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void anUpstream5xx_becomes502() {
    EmbeddedChannel ch = client();
    Relay relay = relay(ch);
    relay.onHead(head(500));
    relay.onContent(chunk("oops", true), true, reads::incrementAndGet);
    FullHttpResponse out = ch.readOutbound();
    assertThat(out.status().code()).isEqualTo(502);
    out.release();
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void aFailureMidBody_closesTheClientConnection() {
    EmbeddedChannel ch = client();
    Relay relay = relay(ch);
    relay.onHead(head(200));
    relay.onContent(chunk("01234", false), false, reads::incrementAndGet);
    relay.onError(new RegistryException(RegistryError.UPSTREAM_FAILED, "cut"));
    assertThat(ch.isActive()).isFalse();
    assertThat(finished).containsExactly(false);
    HttpResponse head = ch.readOutbound();
    assertThat(head.status().code()).as("the head went out before the failure").isEqualTo(200);
    HttpContent partial = ch.readOutbound();
    assertThat(partial.content().toString(StandardCharsets.UTF_8)).isEqualTo("01234");
    partial.release();
    assertThat((Object) ch.readOutbound()).as("no last chunk: the body is visibly cut").isNull();
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void aFailureBeforeTheAnswer_isAnOciError() {
    EmbeddedChannel ch = client();
    Relay relay = relay(ch);
    relay.onError(new RegistryException(RegistryError.UPSTREAM_TIMEOUT, "the upstream registry timed out"));
    FullHttpResponse out = ch.readOutbound();
    assertThat(out.status().code()).isEqualTo(504);
    assertThat(out.content().toString(StandardCharsets.UTF_8)).contains("timed out");
    out.release();
    assertThat(ch.isActive()).isTrue();
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void theClientLeaving_cancelsTheUpstreamCall_andLaterChunksAreReleased() {
    EmbeddedChannel ch = client();
    Relay relay = relay(ch);
    relay.onHead(head(200));
    ReferenceCountUtil.release(ch.readOutbound());
    ch.close();
    assertThat(cancels.get()).isEqualTo(1);
    assertThat(finished).containsExactly(false);
    HttpContent late = chunk("late", false);
    relay.onContent(late, false, reads::incrementAndGet);
    assertThat(late.refCnt()).isZero();
    ch.finishAndReleaseAll();
  }
}
