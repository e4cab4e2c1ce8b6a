package io.turnstile.proxy.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** A Server-Sent Events stream read as a browser's EventSource would: one string per event, its lines joined. */
public final class EventStream implements AutoCloseable {
  /** What the queue holds once the server closed the stream. */
  public static final String CLOSED = "<closed>";

  private final Stream<String> lines;
  private final BlockingQueue<String> events = new LinkedBlockingQueue<>();

  private EventStream(Stream<String> lines) {
    this.lines = lines;
  }

  /** Opens {@code path} with {@code browser}'s cookies; {@code lastEventId} null for a first connection. */
  public static EventStream open(Browser browser, String path, String lastEventId) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(browser.base() + path));
    if (lastEventId != null) {
      b.header("Last-Event-ID", lastEventId);
    }
    HttpResponse<Stream<String>> r = browser.client().send(b.build(), HttpResponse.BodyHandlers.ofLines());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/event-stream");
    EventStream s = new EventStream(r.body());
    Thread t = new Thread(s::read, "event-stream-reader");
    t.setDaemon(true);
    t.start();
    return s;
  }

  private void read() {
    StringBuilder event = new StringBuilder();
    try {
      lines.forEach(line -> {
        if (line.isEmpty()) {
          if (event.length() > 0) {
            events.add(event.toString());
          }
          event.setLength(0);
        } else {
          event.append(line).append('\n');
        }
      });
    } catch (RuntimeException ignored) {
      // closed by the test
    }
    events.add(CLOSED);
  }

  /** The next event of kind {@code name} within {@code limit}, skipping others. */
  public String next(String name, Duration limit) throws InterruptedException {
    long end = System.nanoTime() + limit.toNanos();
    while (true) {
      String e = events.poll(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (e == null) {
        throw new AssertionError("no '" + name + "' event within " + limit);
      }
      if (e.contains("event: " + name + "\n")) {
        return e;
      }
    }
  }

  /** The next event of any kind within {@code limit}, keep-alive comments skipped; fails when none comes. */
  public String nextEvent(Duration limit) throws InterruptedException {
    long end = System.nanoTime() + limit.toNanos();
    while (true) {
      String e = events.poll(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (e == null) {
        throw new AssertionError("no event within " + limit);
      }
      if (!e.startsWith(":")) {
        return e;
      }
    }
  }

  /**
   * Every event until the server closes the stream, keep-alive comments left out; fails when it is
   * still open after {@code limit}.
   */
  public List<String> untilClosed(Duration limit) throws InterruptedException {
    long end = System.nanoTime() + limit.toNanos();
    List<String> got = new ArrayList<>();
    while (true) {
      String e = events.poll(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (e == null) {
        throw new AssertionError("still open after " + limit + "; events: " + got);
      }
      if (e.equals(CLOSED)) {
        return got;
      }
      if (!e.startsWith(":")) {
        got.add(e);
      }
    }
  }

  /** What a refused stream was answered. */
  public record Refusal(int status, String text) {}

  /** Opens {@code path} expecting a refusal; fails, closing it, when it opens as a stream. */
  public static Refusal refused(Browser browser, String path) throws Exception {
    HttpResponse<InputStream> r = browser.client().send(
        HttpRequest.newBuilder(URI.create(browser.base() + path)).build(), HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream body = r.body()) {
      if (r.statusCode() == 200) {
        throw new AssertionError("opened as a stream: " + r.headers().firstValue("Content-Type").orElse(""));
      }
      return new Refusal(r.statusCode(), new String(body.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  /** The next event of any kind within {@code limit}, or null. */
  public String poll(Duration limit) throws InterruptedException {
    return events.poll(limit.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The id line of {@code event}. */
  public static String id(String event) {
    return event.lines().filter(l -> l.startsWith("id: ")).findFirst().orElseThrow().substring(4);
  }

  @Override
  public void close() {
    lines.close();
  }
}
