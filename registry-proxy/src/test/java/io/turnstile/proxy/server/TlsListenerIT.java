package io.turnstile.proxy.server;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static io.turnstile.store.testing.Eventually.until;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.core.Options;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.turnstile.proxy.Main;
import io.turnstile.proxy.testing.FakeRegistry;
import io.turnstile.proxy.testing.TestCa;
import io.turnstile.proxy.testing.TestTurnstile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The public listener with {@code server.tls}: a client that trusts the test CA pulls; old
 * protocols and plain HTTP are refused; replaced files reach the next handshake; bad files stop
 * the start with exit code 2 before anything opens.
 */
class TlsListenerIT {
  @RegisterExtension
  static WireMockExtension upstream = WireMockExtension.newInstance()
      .options(wireMockConfig().dynamicPort().useChunkedTransferEncoding(Options.ChunkedEncodingPolicy.ALWAYS))
      .build();

  @TempDir Path dir;
  private TestCa ca;
  private SSLContext trusting;
  private Path tlsDir;
  private TestTurnstile ts;

  @BeforeEach
  void setUp() throws Exception {
    ca = TestCa.create("Turnstile test CA");
    trusting = ca.clientContext();
    tlsDir = dir.resolve("tls");
  }

  @AfterEach
  void tearDown() {
    if (ts != null) {
      ts.close();
    }
  }

  private void start(TestCa.Issued certificate) throws Exception {
    certificate.writeTo(tlsDir);
    ts = new TestTurnstile(dir, upstream.baseUrl(), "", true, """
          tls:
            certificate: %1$s/tls.crt
            privateKey: %1$s/tls.key
            reloadInterval: 100ms
        """.formatted(tlsDir));
  }

  private String httpsUrl() {
    return "https://127.0.0.1:" + ts.server.registryAddress().getPort();
  }

  private SSLSocket handshake(String... alpn) throws IOException {
    SSLSocket s = (SSLSocket) trusting.getSocketFactory().createSocket("127.0.0.1", ts.server.registryAddress().getPort());
    SSLParameters p = s.getSSLParameters();
    p.setEndpointIdentificationAlgorithm("HTTPS");
    if (alpn.length > 0) {
      p.setApplicationProtocols(alpn);
    }
    s.setSSLParameters(p);
    s.setSoTimeout(5000);
    s.startHandshake();
    return s;
  }

  private X509Certificate presented() throws IOException {
    try (SSLSocket s = handshake()) {
      return (X509Certificate) s.getSession().getPeerCertificates()[0];
    }
  }

  @Test
  void aClientTrustingTheCa_logsInAndPullsOverTls() throws Exception {
    FakeRegistry registry = new FakeRegistry(upstream);
    FakeRegistry.Image image = registry.image("org/app", "1.0.0", 1, 1024 * 1024);
    start(ca.issue("registry"));
    TestTurnstile.Login login = ts.license("app", "1.0.0");
    HttpClient client = HttpClient.newBuilder().sslContext(trusting).build();

    HttpResponse<String> token = client.send(HttpRequest.newBuilder(URI.create(httpsUrl()
        + "/token?service=turnstile&scope=repository:vendor/app:pull")).header("Authorization", login.basic()).build(),
        HttpResponse.BodyHandlers.ofString());
    String bearer = "Bearer " + ts.json.readTree(token.body()).get("token").asText();
    HttpResponse<String> manifest = client.send(HttpRequest.newBuilder(URI.create(httpsUrl()
        + "/v2/vendor/app/manifests/1.0.0")).header("Authorization", bearer).build(), HttpResponse.BodyHandlers.ofString());
    HttpResponse<byte[]> layer = client.send(HttpRequest.newBuilder(URI.create(httpsUrl()
        + "/v2/vendor/app/blobs/" + image.layers().get(0))).header("Authorization", bearer).build(),
        HttpResponse.BodyHandlers.ofByteArray());

    assertThat(token.statusCode()).as(token.body()).isEqualTo(200);
    assertThat(token.version()).as("ALPN settles on HTTP/1.1").isEqualTo(HttpClient.Version.HTTP_1_1);
    assertThat(manifest.statusCode()).as(manifest.body()).isEqualTo(200);
    assertThat(manifest.headers().firstValue("Docker-Content-Digest")).hasValue(image.digest());
    assertThat(layer.statusCode()).isEqualTo(200);
    assertThat(FakeRegistry.sha256(layer.body())).isEqualTo(image.layers().get(0));
  }

  @Test
  void alpn_offersHttp11Only() throws Exception {
    start(ca.issue("registry"));
    try (SSLSocket both = handshake("h2", "http/1.1")) {
      assertThat(both.getApplicationProtocol()).isEqualTo("http/1.1");
      assertThat(both.getSession().getProtocol()).isIn("TLSv1.3", "TLSv1.2");
    }
    try (SSLSocket h2Only = handshake("h2")) {
      assertThat(h2Only.getApplicationProtocol()).as("no protocol agreed; the client falls back").isEmpty();
    }
  }

  @Test
  void tls11ClientHello_isRefusedWithAProtocolVersionAlert() throws Exception {
    start(ca.issue("registry"));
    try (Socket s = new Socket()) {
      s.connect(ts.server.registryAddress(), 2000);
      s.setSoTimeout(5000);
      s.getOutputStream().write(clientHello(0x0302));
      byte[] answer = readUpTo(s.getInputStream(), 7);
      assertThat(answer).as("a fatal protocol_version alert, no ServerHello")
          .startsWith(0x15).hasSizeGreaterThanOrEqualTo(7);
      assertThat(answer[5]).as("fatal").isEqualTo((byte) 2);
      assertThat(answer[6]).as("protocol_version").isEqualTo((byte) 70);
    }
  }

  @Test
  void tls12_isAccepted() throws Exception {
    start(ca.issue("registry"));
    try (SSLSocket s = (SSLSocket) trusting.getSocketFactory()
        .createSocket("127.0.0.1", ts.server.registryAddress().getPort())) {
      s.setEnabledProtocols(new String[] {"TLSv1.2"});
      s.startHandshake();
      assertThat(s.getSession().getProtocol()).isEqualTo("TLSv1.2");
    }
  }

  @Test
  void plainHttp_getsNoHttpAnswerAndIsClosed() throws Exception {
    start(ca.issue("registry"));
    try (Socket s = new Socket()) {
      s.connect(ts.server.registryAddress(), 2000);
      s.setSoTimeout(5000);
      long start = System.nanoTime();
      s.getOutputStream().write("GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      String answer = new String(readUpTo(s.getInputStream(), 1 << 16), StandardCharsets.ISO_8859_1);
      assertThat(answer).doesNotContain("HTTP/1.1");
      assertThat(s.getInputStream().read()).as("closed").isEqualTo(-1);
      assertThat(System.nanoTime() - start).as("closed at once").isLessThan(2_000_000_000L);
    } catch (SocketException reset) {
      // closed with a reset: refused as well
    }
  }

  @Test
  void replacedFiles_reachTheNextHandshake_andOpenConnectionsKeepTheirCertificate() throws Exception {
    TestCa.Issued first = ca.issue("first");
    start(first);
    SSLSocket open = handshake();
    assertThat(get(open)).startsWith("HTTP/1.1 401");
    assertThat(presented()).isEqualTo(first.certificate());

    TestCa.Issued second = ca.issueRsa("second");
    second.writeTo(tlsDir);
    // The files are checked every tls.reloadInterval.
    until("a new handshake to present the replaced certificate", () -> presented().equals(second.certificate()));
    assertThat(get(open)).as("the open connection goes on").startsWith("HTTP/1.1 401");
    assertThat(open.getSession().getPeerCertificates()[0]).isEqualTo(first.certificate());
    open.close();
  }

  @Test
  void keyOfAnotherCertificate_exitsWithCode2BeforeAnythingOpens() throws Exception {
    TestCa.Issued registry = ca.issue("registry");
    Files.createDirectories(tlsDir);
    Files.writeString(tlsDir.resolve("tls.crt"), registry.certificatePem());
    Files.writeString(tlsDir.resolve("tls.key"), ca.issue("other").pkcs8Pem());

    Serve serve = serve();

    assertThat(serve.exit()).isEqualTo(2);
    assertThat(serve.err()).contains("turnstile: error: turnstile.yaml: server.tls.privateKey: " + tlsDir.resolve("tls.key")
        + ": does not match the certificate in " + tlsDir.resolve("tls.crt"));
    assertThat(dir.resolve("turnstile.db")).as("the store was never opened").doesNotExist();
    assertThat(dir.resolve("signing-key.pem")).as("no signing key was made").doesNotExist();
  }

  @Test
  void missingCertificate_exitsWithCode2NamingTheFile() throws Exception {
    Files.createDirectories(tlsDir);
    Files.writeString(tlsDir.resolve("tls.key"), ca.issue("registry").pkcs8Pem());

    Serve serve = serve();

    assertThat(serve.exit()).isEqualTo(2);
    assertThat(serve.err()).contains("turnstile.yaml: server.tls.certificate: " + tlsDir.resolve("tls.crt")
        + ": file not found");
  }

  record Serve(int exit, String err) {}

  /** {@code turnstile serve} with TLS from {@code tlsDir}, for configurations that must not start. */
  private Serve serve() throws Exception {
    Path config = Files.writeString(dir.resolve("turnstile.yaml"), """
        server:
          listen: 127.0.0.1:0
          tls:
            certificate: %1$s/tls.crt
            privateKey: %1$s/tls.key
        admin:
          listen: 127.0.0.1:0
          token: test-admin-token-0123456789
        token:
          signingKey: %2$s/signing-key.pem
        store:
          url: jdbc:sqlite:%2$s/turnstile.db
          encryptionKeyFile: %2$s/store.key
        """.formatted(tlsDir, dir));
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    try {
      System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
      int exit = Main.run("serve", "--config", config.toString());
      return new Serve(exit, captured.toString(StandardCharsets.UTF_8));
    } finally {
      System.setErr(err);
    }
  }

  private static String get(SSLSocket s) throws IOException {
    s.getOutputStream().write("GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    StringBuilder head = new StringBuilder();
    InputStream in = s.getInputStream();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      head.append((char) b);
    }
    int length = Integer.parseInt(head.toString().replaceAll("(?is).*content-length: *(\\d+).*", "$1"));
    in.readNBytes(length);
    return head.toString();
  }

  /** What the server sends, up to {@code max} bytes, until it closes or goes quiet. */
  private static byte[] readUpTo(InputStream in, int max) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      int b;
      while (out.size() < max && (b = in.read()) >= 0) {
        out.write(b);
      }
    } catch (SocketTimeoutException quiet) {
      // all there is
    }
    return out.toByteArray();
  }

  /**
   * A ClientHello offering only {@code version} (e.g. 0x0302, TLS 1.1), built by hand: the JDK's
   * own client would refuse to send it.
   */
  private static byte[] clientHello(int version) {
    int[] suites = {0xc013, 0xc009, 0x002f, 0x0035};
    byte[] extensions = {
        0x00, 0x0a, 0x00, 0x04, 0x00, 0x02, 0x00, 0x17, // supported_groups: secp256r1
        0x00, 0x0b, 0x00, 0x02, 0x01, 0x00}; // ec_point_formats: uncompressed
    ByteBuffer body = ByteBuffer.allocate(512);
    body.putShort((short) version);
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    body.put(random);
    body.put((byte) 0); // no session id
    body.putShort((short) (suites.length * 2));
    for (int suite : suites) {
      body.putShort((short) suite);
    }
    body.put((byte) 1).put((byte) 0); // null compression
    body.putShort((short) extensions.length).put(extensions);
    body.flip();
    int n = body.remaining();
    ByteBuffer record = ByteBuffer.allocate(n + 9);
    record.put((byte) 0x16).putShort((short) 0x0301).putShort((short) (n + 4));
    record.put((byte) 1).put((byte) (n >>> 16)).putShort((short) n);
    record.put(body);
    return record.array();
  }
}
