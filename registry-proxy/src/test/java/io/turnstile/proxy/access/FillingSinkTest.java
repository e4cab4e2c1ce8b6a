package io.turnstile.proxy.access;

import static io.turnstile.store.testing.Eventually.until;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.turnstile.proxy.blobs.BlobStore;
import io.turnstile.proxy.blobs.FillFailedException;
import io.turnstile.proxy.oci.RegistryError;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A cold blob streamed to its client and into the cache at once, on an {@link EmbeddedChannel}. */
class FillingSinkTest {
  @TempDir Path dir;
  private final ExecutorService io = Executors.newSingleThreadExecutor();
  private final List<Boolean> finished = new ArrayList<>();
  private BlobStore store;
  private EmbeddedChannel ch;
  private final byte[] data = new byte[3000];

  @BeforeEach
  void open() throws Exception {
    store = BlobStore.open("vendor", dir, 1 << 20, io, new SimpleMeterRegistry());
    ch = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
    new Random(1).nextBytes(data);
  }

  @AfterEach
  void close() throws Exception {
    store.close();
    io.shutdown();
    assertThat(io.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
  }

  /** Times the upstream call was cancelled. */
  private final java.util.concurrent.atomic.AtomicInteger cancels = new java.util.concurrent.atomic.AtomicInteger();

  private FillingSink sink(String digest) {
    ChannelHandlerContext ctx = ch.pipeline().firstContext();
    Relay relay = new Relay(ctx, false, true, RegistryError.BLOB_UNKNOWN, finished::add);
    relay.call(cancels::incrementAndGet);
    return new FillingSink(ctx, relay, ((BlobStore.Lead) store.claim(digest)).fill(), 1 << 20);
  }

  private static String digest(byte[] b) throws Exception {
    return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  private static HttpResponse ok(long length) {
    HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    if (length >= 0) {
      r.headers().set("Content-Length", length);
    }
    return r;
  }

  private void stream(FillingSink sink, byte[] body) {
    sink.onContent(new DefaultHttpContent(Unpooled.copiedBuffer(body, 0, 1000)), false, () -> { });
    sink.onContent(new DefaultHttpContent(Unpooled.copiedBuffer(body, 1000, 1000)), false, () -> { });
    sink.onContent(new DefaultLastHttpContent(Unpooled.copiedBuffer(body, 2000, body.length - 2000)), true, () -> { });
  }

  /** Runs the channel's tasks until the answer has ended: the digest is checked off the event loop. */
  private void settle() throws Exception {
    until("the answer ended", () -> {
      ch.runPendingTasks();
      return !finished.isEmpty();
    });
  }

  /** The body bytes the client was sent, and whether its end was. */
  private byte[] sent(boolean[] ended) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Object o;
    while ((o = ch.readOutbound()) != null) {
      if (o instanceof HttpContent c) {
        byte[] b = new byte[c.content().readableBytes()];
        c.content().readBytes(b);
        out.writeBytes(b);
        ended[0] |= o instanceof LastHttpContent;
      }
      ReferenceCountUtil.release(o);
    }
    return out.toByteArray();
  }

  @Test
  void aMatchingBody_reachesTheClientWhole_andLandsInTheCache() throws Exception {
    String d = digest(data);
    FillingSink sink = sink(d);
    sink.onHead(ok(data.length));
    stream(sink, data);
    settle();
    boolean[] ended = {false};
    assertThat(sent(ended)).isEqualTo(data);
    assertThat(ended[0]).isTrue();
    assertThat(finished).containsExactly(true);
    until("the blob landed", () -> store.lookup(d) != null);
    assertThat(Files.readAllBytes(store.lookup(d).path())).isEqualTo(data);
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void aMismatchingBody_closesTheClientShortOfItsLastPiece_andKeepsNothing() throws Exception {
    String d = digest(new byte[] {1, 2, 3});
    FillingSink sink = sink(d);
    BlobStore.Follow waiting = (BlobStore.Follow) store.claim(d);
    sink.onHead(ok(data.length));
    stream(sink, data);
    settle();
    boolean[] ended = {false};
    assertThat(sent(ended)).hasSize(2000);
    assertThat(ended[0]).isFalse();
    assertThat(ch.isOpen()).isFalse();
    assertThat(finished).containsExactly(false);
    assertThatThrownBy(() -> waiting.result().get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(FillFailedException.class);
    assertThat(store.lookup(d)).isNull();
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void theClientLeaving_withNobodyFollowing_abandonsTheDownloadAndCancelsTheUpstream() throws Exception {
    String d = digest(data);
    FillingSink sink = sink(d);
    sink.onHead(ok(data.length));
    sink.onContent(new DefaultHttpContent(Unpooled.copiedBuffer(data, 0, 1000)), false, () -> { });
    ch.close();
    assertThat(cancels.get()).isEqualTo(1);
    assertThat(store.lookup(d)).isNull();
    until("the abandoned fill is let go", () -> store.claim(d) instanceof BlobStore.Lead);
    sent(new boolean[1]);
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void theClientLeaving_whileOthersFollow_keepsTheDownloadGoing_andTheyGetTheWholeBlob() throws Exception {
    String d = digest(data);
    FillingSink sink = sink(d);
    BlobStore.Follow waiting = (BlobStore.Follow) store.claim(d);
    sink.onHead(ok(data.length));
    sink.onContent(new DefaultHttpContent(Unpooled.copiedBuffer(data, 0, 1000)), false, () -> { });
    ch.close();
    assertThat(cancels.get()).as("the upstream download goes on").isZero();
    java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
    sink.onContent(new DefaultHttpContent(Unpooled.copiedBuffer(data, 1000, 1000)), false, reads::incrementAndGet);
    until("the next upstream read, paced by the cache alone", () -> {
      ch.runPendingTasks();
      return reads.get() == 1;
    });
    sink.onContent(new DefaultLastHttpContent(Unpooled.copiedBuffer(data, 2000, data.length - 2000)), true, () -> { });
    BlobStore.Entry landed = waiting.result().get(5, TimeUnit.SECONDS);
    assertThat(Files.readAllBytes(landed.path())).isEqualTo(data);
    assertThat(finished).containsExactly(false);
    sent(new boolean[1]);
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void anUpstreamRefusal_isWhatThoseWaitingAnswer() throws Exception {
    String d = digest(data);
    FillingSink sink = sink(d);
    BlobStore.Follow waiting = (BlobStore.Follow) store.claim(d);
    sink.onHead(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_FOUND));
    sink.onContent(new DefaultLastHttpContent(), true, () -> { });
    assertThatThrownBy(() -> waiting.result().get(5, TimeUnit.SECONDS)).cause()
        .isInstanceOfSatisfying(FillFailedException.class,
            f -> assertThat(f.answer().error()).isEqualTo(RegistryError.BLOB_UNKNOWN));
    HttpResponse answered = ch.readOutbound();
    assertThat(answered.status().code()).isEqualTo(404);
    ReferenceCountUtil.release(answered);
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void aBodyWithoutLengthGrowingBeyondMaxSize_isRelayedWholeButNotKept() throws Exception {
    byte[] big = new byte[(1 << 20) + 1000];
    new Random(2).nextBytes(big);
    String d = digest(big);
    FillingSink sink = sink(d);
    BlobStore.Follow waiting = (BlobStore.Follow) store.claim(d);
    sink.onHead(ok(-1));
    for (int off = 0; off < big.length; off += 64 * 1024) {
      int n = Math.min(64 * 1024, big.length - off);
      boolean last = off + n == big.length;
      HttpContent c = last ? new DefaultLastHttpContent(Unpooled.copiedBuffer(big, off, n))
          : new DefaultHttpContent(Unpooled.copiedBuffer(big, off, n));
      sink.onContent(c, last, () -> { });
    }
    boolean[] ended = {false};
    assertThat(sent(ended)).isEqualTo(big);
    assertThat(ended[0]).isTrue();
    assertThatThrownBy(() -> waiting.result().get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(FillFailedException.class);
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void anEncodedBody_isRelayedButNotKept() throws Exception {
    String d = digest(data);
    FillingSink sink = sink(d);
    BlobStore.Follow waiting = (BlobStore.Follow) store.claim(d);
    HttpResponse head = ok(data.length);
    head.headers().set("Content-Encoding", "gzip");
    sink.onHead(head);
    stream(sink, data);
    boolean[] ended = {false};
    assertThat(sent(ended)).isEqualTo(data);
    assertThatThrownBy(() -> waiting.result().get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(FillFailedException.class);
    assertFalse(ch.finishAndReleaseAll());
  }
}
