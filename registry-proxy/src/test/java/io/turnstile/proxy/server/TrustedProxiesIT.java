package io.turnstile.proxy.server;

import static io.turnstile.store.testing.Eventually.until;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.turnstile.proxy.observe.AccessLog;
import io.turnstile.proxy.testing.TestTurnstile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * {@code server.trustedProxies}: the login throttle keys on the forwarded client only when the
 * connection comes from a trusted proxy. The proxy connects from 127.0.0.2, everyone else from
 * 127.0.0.1, two addresses on Linux's loopback.
 */
class TrustedProxiesIT {
  private static final InetAddress PROXY = address("127.0.0.2");
  private static final InetAddress DIRECT = address("127.0.0.1");

  @TempDir Path dir;
  private TestTurnstile ts;

  @AfterEach
  void tearDown() {
    if (ts != null) {
      ts.close();
    }
  }

  private void start(String trustedProxies) throws Exception {
    ts = new TestTurnstile(dir, "http://127.0.0.1:9", "", true, """
          trustedProxies: %s
          loginThrottle:
            perAddressAndUser: 2
            perAddress: 100
        """.formatted(trustedProxies));
  }

  @Test
  void spoofedForwardedFor_fromAnUntrustedPeer_isIgnored() throws Exception {
    start("[127.0.0.2/32]");
    TestTurnstile.Login login = ts.license("app", "1.0.0");
    String wrong = TestTurnstile.basic(login.username(), "tsk_wrong");

    // Each guess claims another address; the throttle still counts the socket's.
    assertThat(tokenStatus(DIRECT, "198.51.100.1", wrong)).startsWith("HTTP/1.1 401");
    assertThat(tokenStatus(DIRECT, "198.51.100.2", wrong)).startsWith("HTTP/1.1 401");
    assertThat(tokenStatus(DIRECT, "198.51.100.3", login.basic())).startsWith("HTTP/1.1 429");
    assertThat(tokenStatus(DIRECT, null, login.basic())).startsWith("HTTP/1.1 429");
  }

  @Test
  void forwardedClients_ofATrustedProxy_areThrottledSeparately() throws Exception {
    start("[127.0.0.2/32, \"fd00::/8\"]");
    TestTurnstile.Login login = ts.license("app", "1.0.0");
    String wrong = TestTurnstile.basic(login.username(), "tsk_wrong");

    String log = capturingStderr(() -> {
      assertThat(tokenStatus(PROXY, "198.51.100.7", wrong)).startsWith("HTTP/1.1 401");
      assertThat(tokenStatus(PROXY, "198.51.100.7", wrong)).startsWith("HTTP/1.1 401");
    });
    assertThat(tokenStatus(PROXY, "198.51.100.7", login.basic())).as("the guesser").startsWith("HTTP/1.1 429");
    assertThat(tokenStatus(PROXY, "198.51.100.8", login.basic())).as("another client of the proxy")
        .startsWith("HTTP/1.1 200");
    // A client writing its own X-Forwarded-For through the proxy: the proxy appends what it saw.
    assertThat(tokenStatus(PROXY, "198.51.100.8, 198.51.100.7", login.basic())).startsWith("HTTP/1.1 429");
    assertThat(log).contains("failed login").contains("address=198.51.100.7").doesNotContain("address=127.0.0.2");
  }

  @Test
  void registryRequests_throttleTheForwardedClientToo() throws Exception {
    start("[127.0.0.2/32]");
    TestTurnstile.Login login = ts.license("app", "1.0.0");
    String wrong = TestTurnstile.basic(login.username(), "tsk_wrong");
    assertThat(v2Status(PROXY, "198.51.100.7", wrong)).startsWith("HTTP/1.1 401");
    assertThat(v2Status(PROXY, "198.51.100.7", wrong)).startsWith("HTTP/1.1 401");
    assertThat(v2Status(PROXY, "198.51.100.7", login.basic())).startsWith("HTTP/1.1 429");
    assertThat(v2Status(PROXY, "198.51.100.8", login.basic())).startsWith("HTTP/1.1 200");
  }

  @Test
  void theAccessLog_namesTheForwardedClient_ofATrustedProxyOnly() throws Exception {
    start("[127.0.0.2/32]");
    TestTurnstile.Login login = ts.license("app", "1.0.0");
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    Logger access = context.getLogger(AccessLog.LOGGER);
    Level level = access.getLevel();
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.setContext(context);
    lines.start();
    access.setLevel(Level.INFO);
    access.addAppender(lines);
    try {
      assertThat(v2Status(PROXY, "198.51.100.9", login.basic())).startsWith("HTTP/1.1 200");
      assertThat(v2Status(DIRECT, "198.51.100.10", login.basic())).startsWith("HTTP/1.1 200");
      // A request is logged once its answer is written, which its client can see a moment before:
      // the two lines may come in either order.
      until("two access log lines", () -> lines.list.size() >= 2);
      assertThat(List.copyOf(lines.list)).extracting(e -> e.getKeyValuePairs().stream()
              .filter(p -> p.key.equals("client")).map(p -> String.valueOf(p.value)).findFirst().orElse(null))
          .as("the proxy's client and the socket's peer: a spoofed header from an untrusted peer is ignored")
          .containsExactlyInAnyOrder("198.51.100.9", DIRECT.getHostAddress());
    } finally {
      access.detachAppender(lines);
      access.setLevel(level);
    }
  }

  private String tokenStatus(InetAddress from, String forwardedFor, String authorization) throws IOException {
    return statusLine(from, "GET /token?service=turnstile&scope=repository:vendor/app:pull", forwardedFor,
        authorization);
  }

  private String v2Status(InetAddress from, String forwardedFor, String authorization) throws IOException {
    return statusLine(from, "GET /v2/", forwardedFor, authorization);
  }

  private String statusLine(InetAddress from, String requestLine, String forwardedFor, String authorization)
      throws IOException {
    try (Socket s = new Socket()) {
      s.bind(new InetSocketAddress(from, 0));
      s.connect(ts.server.registryAddress(), 2000);
      s.setSoTimeout(5000);
      s.getOutputStream().write((requestLine + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
          + (forwardedFor == null ? "" : "X-Forwarded-For: " + forwardedFor + "\r\n")
          + "Authorization: " + authorization + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().findFirst().orElse("");
    }
  }

  private interface Action {
    void run() throws Exception;
  }

  private static String capturingStderr(Action action) throws Exception {
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      action.run();
    } finally {
      System.setErr(original);
    }
    return captured.toString(StandardCharsets.UTF_8);
  }

  private static InetAddress address(String text) {
    try {
      return InetAddress.getByName(text);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
