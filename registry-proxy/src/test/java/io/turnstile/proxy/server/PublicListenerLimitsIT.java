package io.turnstile.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.turnstile.proxy.testing.TestTurnstile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The public listener under abuse: slow and idle connections, and guessed keys. Attackers connect
 * from 127.0.0.2 and the legitimate client from 127.0.0.1, two addresses on Linux's loopback.
 */
class PublicListenerLimitsIT {
  private static final InetAddress ATTACKER = address("127.0.0.2");
  private static final InetAddress CUSTOMER = address("127.0.0.1");

  @TempDir Path dir;
  private TestTurnstile ts;
  private final List<Socket> sockets = new ArrayList<>();

  @AfterEach
  void tearDown() {
    for (Socket s : sockets) {
      try {
        s.close();
      } catch (IOException ignored) {
        // already gone
      }
    }
    if (ts != null) {
      ts.close();
    }
  }

  private void start(String serverYaml) throws Exception {
    ts = new TestTurnstile(dir, "http://127.0.0.1:9", "", true, serverYaml);
  }

  @Test
  void slowClientsCannotHoldEveryConnection() throws Exception {
    start("""
          maxConnections: 200
          maxConnectionsPerAddress: 50
        """);
    ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
    try {
      for (int i = 0; i < 1000; i++) {
        Socket s = new Socket();
        sockets.add(s);
        s.bind(new InetSocketAddress(ATTACKER, 0));
        s.connect(ts.server.registryAddress(), 2000);
        try {
          s.getOutputStream().write("GET /v2/ HT".getBytes(StandardCharsets.US_ASCII));
        } catch (SocketException refused) {
          // closed at once by the per-address cap: what the cap is for
        }
      }
      trickle.scheduleAtFixedRate(() -> {
        for (Socket s : sockets) {
          try {
            s.getOutputStream().write('T');
          } catch (IOException closed) {
            // closed by the server
          }
        }
      }, 200, 500, TimeUnit.MILLISECONDS);

      for (int i = 0; i < 5; i++) {
        assertThat(statusLine(CUSTOMER, "GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n"))
            .as("the customer is served while 1,000 slow sockets are open").startsWith("HTTP/1.1 401");
      }
    } finally {
      trickle.shutdownNow();
    }
  }

  @Test
  void aRequestHeadTrickledByteByByteGets408() throws Exception {
    start("  requestHeaderTimeout: 1s\n");
    Socket s = connect(ATTACKER);
    long start = System.nanoTime();
    String answer = null;
    byte[] head = "GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII);
    s.setSoTimeout(200);
    for (int i = 0; i < head.length + 60 && answer == null; i++) {
      try {
        s.getOutputStream().write(i < head.length ? head[i] : 'a');
      } catch (SocketException closed) {
        break;
      }
      answer = readHead(s);
    }
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertThat(answer).as("an answer before the connection closes").isNotNull().startsWith("HTTP/1.1 408");
    assertThat(answer.toLowerCase()).contains("connection: close");
    assertThat(ms).as("cut at the deadline, not when the bytes stop").isLessThan(5000);
  }

  @Test
  void aKeptAliveConnectionIsClosedAfterTheKeepAliveTimeout() throws Exception {
    start("  keepAliveTimeout: 1s\n");
    Socket s = connect(CUSTOMER);
    s.getOutputStream().write("GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    s.setSoTimeout(5000);
    assertThat(readHead(s)).startsWith("HTTP/1.1 401");
    long start = System.nanoTime();
    // The idle timeout (5 minutes) would keep it open; the keep-alive timeout closes it.
    assertThat(drainUntilClosed(s)).isTrue();
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(500L, 4000L);
  }

  @Test
  void failedLoginsAreThrottledPerAddressWithoutLockingTheUsernameOut() throws Exception {
    start("""
          loginThrottle:
            perAddressAndUser: 3
            perAddress: 5
        """);
    TestTurnstile.Login login = ts.license("app", "1.0.0");
    String wrong = TestTurnstile.basic(login.username(), "tsk_wrong");
    for (int i = 0; i < 3; i++) {
      assertThat(tokenStatus(ATTACKER, wrong)).startsWith("HTTP/1.1 401");
    }
    // The budget for this address and username is spent: even the right key is refused from here.
    String throttled = tokenAnswer(ATTACKER, login.basic());
    assertThat(throttled).startsWith("HTTP/1.1 429");
    assertThat(throttled).containsPattern("(?i)retry-after: [1-9]");
    assertThat(throttled).contains("TOOMANYREQUESTS");
    assertThat(statusLine(ATTACKER, "GET /v2/ HTTP/1.1\r\nHost: x\r\nAuthorization: " + login.basic() + "\r\n\r\n"))
        .startsWith("HTTP/1.1 429");
    // The customer, elsewhere, is not locked out.
    assertThat(tokenStatus(CUSTOMER, login.basic())).startsWith("HTTP/1.1 200");

    // Other usernames from the same address: the per-address budget (5) runs out too.
    assertThat(tokenStatus(ATTACKER, TestTurnstile.basic("lic_other1", "tsk_x"))).startsWith("HTTP/1.1 401");
    assertThat(tokenStatus(ATTACKER, TestTurnstile.basic("lic_other2", "tsk_x"))).startsWith("HTTP/1.1 401");
    assertThat(tokenStatus(ATTACKER, TestTurnstile.basic("lic_other3", "tsk_x"))).startsWith("HTTP/1.1 429");
  }

  @Test
  void failedLoginsAreLoggedWithUsernameAndAddressButNeverTheKey() throws Exception {
    start("");
    TestTurnstile.Login login = ts.license("app", "1.0.0");
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      assertThat(tokenStatus(ATTACKER, TestTurnstile.basic(login.username(), "tsk_guessed_secret")))
          .startsWith("HTTP/1.1 401");
    } finally {
      System.setErr(original);
    }
    String log = captured.toString(StandardCharsets.UTF_8);
    assertThat(log).contains("failed login").contains(login.username()).contains("127.0.0.2");
    assertThat(log).doesNotContain("tsk_guessed_secret");
  }

  private String tokenStatus(InetAddress from, String authorization) throws IOException {
    return tokenAnswer(from, authorization).lines().findFirst().orElse("");
  }

  private String tokenAnswer(InetAddress from, String authorization) throws IOException {
    Socket s = connect(from);
    s.setSoTimeout(5000);
    s.getOutputStream().write(("GET /token?service=turnstile&scope=repository:vendor/app:pull HTTP/1.1\r\n"
        + "Host: x\r\nConnection: close\r\nAuthorization: " + authorization + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
  }

  private String statusLine(InetAddress from, String request) throws IOException {
    Socket s = connect(from);
    s.setSoTimeout(5000);
    s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
    String head = readHead(s);
    s.close();
    return head == null ? "" : head;
  }

  private Socket connect(InetAddress from) throws IOException {
    Socket s = new Socket();
    sockets.add(s);
    s.bind(new InetSocketAddress(from, 0));
    s.connect(ts.server.registryAddress(), 2000);
    return s;
  }

  /** The response head, or null when nothing arrives within the socket timeout. */
  private static String readHead(Socket s) throws IOException {
    StringBuilder sb = new StringBuilder();
    InputStream in = s.getInputStream();
    try {
      while (!sb.toString().endsWith("\r\n\r\n")) {
        int b = in.read();
        if (b < 0) {
          return sb.length() == 0 ? null : sb.toString();
        }
        sb.append((char) b);
      }
    } catch (SocketTimeoutException e) {
      return sb.length() == 0 ? null : sb.toString();
    }
    return sb.toString();
  }

  /** Reads until the server closes the connection; false if it stays open for 10 s. */
  private static boolean drainUntilClosed(Socket s) throws IOException {
    s.setSoTimeout(10_000);
    try {
      while (s.getInputStream().read() >= 0) {
        // the rest of the answer
      }
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (SocketException reset) {
      return true;
    }
  }

  private static InetAddress address(String text) {
    try {
      return InetAddress.getByName(text);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
