package io.turnstile.proxy.portal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.turnstile.proxy.web.Sessions;
import io.turnstile.store.testing.MutableClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The portal's event streams on {@link EmbeddedChannel}s, with a clock and a heartbeat the test drives. */
class LiveUpdatesTest {
  private static final Duration HEARTBEAT = Duration.ofSeconds(1);

  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
  private PortalStore fixture;
  private PortalSessions sessions;
  private LiveUpdates live;
  private final List<Stream> opened = new ArrayList<>();

  @BeforeEach
  void open() throws Exception {
    fixture = new PortalStore(dir, clock);
    sessions = new PortalSessions(fixture.store, Portal.DEFAULT_IDLE, clock);
    live = new LiveUpdates(fixture.store, sessions, user -> "<p>licenses of " + user.username() + "</p>",
        user -> "key gone", HEARTBEAT);
  }

  @AfterEach
  void close() {
    live.close();
    for (Stream s : opened) {
      s.channel.close();
      s.read();
      assertFalse(s.channel.finishAndReleaseAll());
    }
    fixture.close();
  }

  /** One stream's connection, and what it was sent. */
  private static final class Stream {
    final EmbeddedChannel channel = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
    boolean finished;
    boolean done;

    /** What was written since the last read, as text; marks the stream finished at its last content. */
    String read() {
      StringBuilder text = new StringBuilder();
      Object out;
      while ((out = channel.readOutbound()) != null) {
        if (out instanceof HttpContent c) {
          text.append(c.content().toString(StandardCharsets.UTF_8));
          finished |= c instanceof LastHttpContent;
          c.release();
        } else {
          assertThat(out).isInstanceOf(HttpResponse.class);
        }
      }
      return text.toString();
    }

    /** Lets the heartbeat's time come and runs it; what it sent. */
    String beat() {
      channel.advanceTimeBy(HEARTBEAT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
      channel.runScheduledPendingTasks();
      return read();
    }
  }

  private void awaitNotLive(String sessionId) {
    java.time.Instant deadline = java.time.Instant.now().plusSeconds(30);
    while (sessions.isLive(sessionId)) {
      assertThat(java.time.Instant.now()).as("the session to end after its store check").isBefore(deadline);
      Thread.onSpinWait();
    }
  }

  /** Opens a stream for {@code session}, which sends the current view first. */
  private Stream open(Sessions.Session<PortalUser> session) {
    Stream s = new Stream();
    assertThat(live.open(s.channel.pipeline().firstContext(), session, null, () -> s.done = true)).isNull();
    opened.add(s);
    assertThat(s.read()).contains("event: licenses\n");
    return s;
  }

  /** Why a stream for {@code session} is refused; fails when it opens. Nothing is written then. */
  private LiveUpdates.Refused refusal(Sessions.Session<PortalUser> session) {
    Stream s = new Stream();
    LiveUpdates.Refused refused = live.open(s.channel.pipeline().firstContext(), session, null, () -> { });
    assertThat(refused).as("refused").isNotNull();
    assertFalse(s.channel.finishAndReleaseAll(), "nothing written");
    return refused;
  }

  @Test
  void aStreamOfAnExpiredSession_endsAtTheNextHeartbeat_withoutAnotherView() {
    Sessions.Session<PortalUser> session = sessions.start(fixture.customer("A"));
    Stream s = open(session);
    clock.advance(Duration.ofMinutes(29));
    assertThat(s.beat()).isEqualTo(": keep-alive\n\n");
    clock.advance(Duration.ofMinutes(2));
    // The heartbeat's store check, on the worker, finds it idle everywhere; the next one ends the stream.
    assertThat(s.beat()).isEqualTo(": keep-alive\n\n");
    awaitNotLive(session.id());
    String last = s.beat();
    assertThat(last).startsWith("event: ended\n").contains(LiveUpdates.SESSION_ENDED).doesNotContain("licenses");
    assertThat(s.finished).isTrue();
    assertThat(s.done).isTrue();
    assertThat(live.openStreams()).isZero();
  }

  @Test
  void aStreamOfASignedOutSession_endsAtOnce() {
    Sessions.Session<PortalUser> session = sessions.start(fixture.customer("A"));
    Stream s = open(session);
    sessions.end(session.id());
    live.sessionEnded(session.id());
    s.channel.runPendingTasks();
    assertThat(s.read()).startsWith("event: ended\n").contains(LiveUpdates.SESSION_ENDED);
    assertThat(s.finished).isTrue();
  }

  @Test
  void aSessionOpensAtMostFourStreams_andAKeyAtMostEight() {
    PortalUser user = fixture.customer("A");
    Sessions.Session<PortalUser> first = sessions.start(user);
    Sessions.Session<PortalUser> second = sessions.start(user);
    Sessions.Session<PortalUser> third = sessions.start(user);
    List<Stream> ofFirst = new ArrayList<>();
    for (int i = 0; i < LiveUpdates.MAX_PER_SESSION; i++) {
      ofFirst.add(open(first));
    }
    assertThat(refusal(first)).isEqualTo(LiveUpdates.Refused.SESSION);
    for (int i = 0; i < LiveUpdates.MAX_PER_SESSION; i++) {
      open(second);
    }
    assertThat(refusal(third)).as("the key has eight open").isEqualTo(LiveUpdates.Refused.CREDENTIAL);
    open(sessions.start(fixture.customerKey(user)));
    open(sessions.start(fixture.customer("B")));

    ofFirst.get(0).channel.close();
    open(third);
    assertThat(refusal(first)).as("the third session took the place the closed stream freed")
        .isEqualTo(LiveUpdates.Refused.CREDENTIAL);
    assertThat(live.openStreams()).isEqualTo(LiveUpdates.MAX_PER_CREDENTIAL + 2);
  }
}
