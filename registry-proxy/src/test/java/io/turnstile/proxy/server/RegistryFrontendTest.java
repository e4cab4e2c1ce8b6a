package io.turnstile.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import io.turnstile.config.ApplicationConfig;
import io.turnstile.config.LoginThrottleConfig;
import io.turnstile.config.RepositoryConfig;
import io.turnstile.config.StoreConfig;
import io.turnstile.config.TokenConfig;
import io.turnstile.proxy.access.RegistryAuthenticator;
import io.turnstile.proxy.access.RegistryBackend;
import io.turnstile.proxy.observe.Health;
import io.turnstile.proxy.observe.RequestMetrics;
import io.turnstile.proxy.token.Jwks;
import io.turnstile.proxy.token.LoginGuard;
import io.turnstile.proxy.token.SigningKeys;
import io.turnstile.proxy.token.TokenEndpoint;
import io.turnstile.proxy.token.TokenService;
import io.turnstile.store.Catalog;
import io.turnstile.store.CustomerId;
import io.turnstile.store.IssuedKey;
import io.turnstile.store.LicenseStore;
import io.turnstile.store.NewLicense;
import io.turnstile.store.StoreFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The public listener's pipeline on an {@link EmbeddedChannel}: raw bytes in, raw bytes out. */
class RegistryFrontendTest {
  @TempDir Path dir;
  private LicenseStore store;
  private RegistryServices services;
  private final List<String> served = new ArrayList<>();
  private final List<Runnable> pending = new ArrayList<>();
  private boolean deferAnswers;
  private IssuedKey key;

  @BeforeEach
  void setUp() throws Exception {
    Catalog catalog = new Catalog(List.of(new ApplicationConfig("app", List.of(new RepositoryConfig("vendor/app", "up", null, null)))));
    store = StoreFactory.open(new StoreConfig("jdbc:sqlite:" + dir.resolve("t.db"), null, null, null, dir.resolve("k"), 1),
        catalog, Clock.systemUTC());
    CustomerId c = store.createCustomer("Acme", "t").id();
    key = store.createLicense(new NewLicense("l", c, "app", null, List.of("1.0.0"), null), "t");
    TokenService tokens = new TokenService(SigningKeys.load(List.of(dir.resolve("key.pem")), "ES256"),
        TokenConfig.defaults(), Clock.systemUTC());
    ObjectMapper json = new ObjectMapper();
    RegistryBackend backend = (ctx, request, path, access, done) -> {
      served.add(request.method() + " " + path.kind() + " " + path.name() + " " + path.reference());
      Runnable answer = () -> {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
            Unpooled.copiedBuffer("served", StandardCharsets.UTF_8));
        r.headers().set("Content-Length", 6);
        r.headers().set("X-Answered", path.kind() + " " + path.reference());
        ctx.writeAndFlush(r).addListener(f -> done.finished(true));
      };
      if (deferAnswers) {
        // As when the answer waits for the upstream: it comes later, on the event loop.
        pending.add(answer);
      } else {
        answer.run();
      }
      return () -> { };
    };
    LoginGuard logins = new LoginGuard(store, LoginThrottleConfig.defaults());
    services = new RegistryServices(new TokenEndpoint(store, logins, tokens, json, Clock.systemUTC()),
        new RegistryAuthenticator(store, logins, tokens, "http://registry.test"), backend, json,
        new Jwks(tokens, json), new RequestMetrics(new SimpleMeterRegistry()), new Health(store), null);
  }

  @AfterEach
  void tearDown() {
    store.close();
  }

  private EmbeddedChannel channel() {
    return new EmbeddedChannel(new HttpServerCodec(8192, 16384, 65536), new RegistryFrontend(services));
  }

  private String basic() {
    return "Basic " + Base64.getEncoder().encodeToString((key.username() + ":" + key.key()).getBytes(StandardCharsets.UTF_8));
  }

  /** Sends raw request bytes and decodes whatever the server wrote into full responses. */
  private static List<FullHttpResponse> exchange(EmbeddedChannel ch, String raw) {
    return exchange(ch, raw, raw);
  }

  /**
   * Sends {@code raw} and decodes whatever the server wrote so far into full responses to {@code
   * asked}, the requests sent on the connection, this call's and earlier ones.
   */
  private static List<FullHttpResponse> exchange(EmbeddedChannel ch, String raw, String asked) {
    ch.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
    EmbeddedChannel client = new EmbeddedChannel(new HttpClientCodec(), new HttpObjectAggregator(1 << 20));
    // The client codec pairs responses with requests: tell it what was asked.
    for (String line : asked.split("\r\n")) {
      if (line.matches("^(GET|HEAD|POST|PUT|PATCH|DELETE) .*HTTP/1\\.1$")) {
        client.writeOutbound(new io.netty.handler.codec.http.DefaultFullHttpRequest(HttpVersion.HTTP_1_1,
            io.netty.handler.codec.http.HttpMethod.valueOf(line.split(" ")[0]), "/"));
        ReferenceCountUtil.release(client.readOutbound());
      }
    }
    Object out;
    while ((out = ch.readOutbound()) != null) {
      client.writeInbound(out);
    }
    List<FullHttpResponse> responses = new ArrayList<>();
    Object in;
    while ((in = client.readInbound()) != null) {
      responses.add((FullHttpResponse) in);
    }
    assertFalse(client.finishAndReleaseAll());
    return responses;
  }

  private static String body(FullHttpResponse r) {
    String s = r.content().toString(StandardCharsets.UTF_8);
    r.release();
    return s;
  }

  @Test
  void unauthenticatedBase_isChallenged() {
    EmbeddedChannel ch = channel();
    List<FullHttpResponse> r = exchange(ch, "GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n");
    assertThat(r).hasSize(1);
    assertThat(r.get(0).status().code()).isEqualTo(401);
    assertThat(r.get(0).headers().get("WWW-Authenticate")).isEqualTo("Bearer realm=\"http://registry.test/token\",service=\"turnstile\"");
    assertThat(body(r.get(0))).contains("UNAUTHORIZED");
    assertThat(ch.isActive()).as("keep-alive").isTrue();
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void authorizedRequest_reachesTheBackendWithTheParsedPath() {
    EmbeddedChannel ch = channel();
    List<FullHttpResponse> r = exchange(ch, "GET /v2/vendor/app/manifests/1.0.0 HTTP/1.1\r\nHost: x\r\nAuthorization: "
        + basic() + "\r\n\r\n");
    assertThat(r.get(0).status().code()).isEqualTo(200);
    assertThat(body(r.get(0))).isEqualTo("served");
    assertThat(served).containsExactly("GET MANIFEST vendor/app 1.0.0");
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void twoRequestsInTurn_onOneConnection() {
    EmbeddedChannel ch = channel();
    assertThat(body(exchange(ch, "GET /v2/ HTTP/1.1\r\nHost: x\r\nAuthorization: " + basic() + "\r\n\r\n").get(0))).isEqualTo("{}");
    FullHttpResponse head = exchange(ch, "HEAD /v2/vendor/app/blobs/sha256:" + "a".repeat(64) + " HTTP/1.1\r\nHost: x\r\n"
        + "Authorization: " + basic() + "\r\n\r\n").get(0);
    assertThat(head.status().code()).isEqualTo(200);
    head.release();
    assertThat(served).containsExactly("HEAD BLOB vendor/app sha256:" + "a".repeat(64));
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void writes_areRefusedAndTheirBodyDrained() {
    EmbeddedChannel ch = channel();
    List<FullHttpResponse> anonymous = exchange(ch, "PUT /v2/vendor/app/manifests/1.0.0 HTTP/1.1\r\nHost: x\r\n"
        + "Content-Length: 5\r\n\r\nhello");
    assertThat(anonymous.get(0).status().code()).isEqualTo(401);
    assertThat(body(anonymous.get(0))).contains("DENIED");
    List<FullHttpResponse> licensed = exchange(ch, "POST /v2/vendor/app/blobs/uploads/ HTTP/1.1\r\nHost: x\r\nAuthorization: "
        + basic() + "\r\nContent-Length: 3\r\n\r\nabc");
    assertThat(licensed.get(0).status().code()).isEqualTo(405);
    body(licensed.get(0));
    assertThat(served).isEmpty();
    assertThat(ch.isActive()).isTrue();
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void traversalAndBadDigests_are4xxWithoutTheBackend() {
    EmbeddedChannel ch = channel();
    for (String path : List.of("/v2/vendor/../app/tags/list", "/v2/vendor/app/blobs/sha256:zz", "/v2/vendor%2fapp/tags/list")) {
      List<FullHttpResponse> r = exchange(ch, "GET " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: " + basic() + "\r\n\r\n");
      assertThat(r.get(0).status().code()).as(path).isEqualTo(400);
      body(r.get(0));
    }
    assertThat(served).isEmpty();
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void pipelinedRequests_areAnsweredInOrder_whenTheFirstWaitsForTheUpstream() {
    deferAnswers = true;
    EmbeddedChannel ch = channel();
    String auth = "Authorization: " + basic() + "\r\n";
    String raw = "GET /v2/vendor/app/manifests/1.0.0 HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n"
        + "GET /v2/vendor/app/tags/list HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n";
    ch.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
    assertThat(ch.isActive()).as("the second request waits, the connection lives").isTrue();
    assertThat(pending).as("only the first is under way").hasSize(1);
    pending.remove(0).run();
    assertThat(pending).as("the second starts once the first is answered").hasSize(1);
    pending.remove(0).run();
    List<FullHttpResponse> r = exchange(ch, "", raw);
    assertThat(r).extracting(x -> x.headers().get("X-Answered")).containsExactly("MANIFEST 1.0.0", "TAGS null");
    r.forEach(RegistryFrontendTest::body);
    assertThat(ch.isActive()).isTrue();
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void anHttp11RequestWithoutHost_is400AndCloses() {
    EmbeddedChannel ch = channel();
    List<FullHttpResponse> r = exchange(ch, "GET /v2/ HTTP/1.1\r\n\r\n");
    assertThat(r.get(0).status().code()).isEqualTo(400);
    assertThat(body(r.get(0))).contains("Host header");
    assertThat(ch.isActive()).isFalse();
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void oversizedHeaders_are431AndClose() {
    EmbeddedChannel ch = channel();
    List<FullHttpResponse> r = exchange(ch, "GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n");
    assertThat(r.get(0).status().code()).isEqualTo(431);
    body(r.get(0));
    assertThat(ch.isActive()).isFalse();
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void tokenForm_isCollectedAndAnswered() {
    EmbeddedChannel ch = channel();
    String form = "grant_type=password&username=" + key.username() + "&password=" + key.key() + "&scope=repository:vendor/app:pull";
    List<FullHttpResponse> r = exchange(ch, "POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        + "Content-Length: " + form.length() + "\r\n\r\n" + form);
    assertThat(r.get(0).status().code()).isEqualTo(200);
    assertThat(body(r.get(0))).contains("\"access_token\"", "\"scope\":\"repository:vendor/app:pull\"");
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void oversizedTokenForm_isRefusedAfterReadingIt_andTheConnectionLives() {
    EmbeddedChannel ch = channel();
    String form = "scope=" + "a".repeat(70_000);
    List<FullHttpResponse> r = exchange(ch, "POST /token HTTP/1.1\r\nHost: x\r\nContent-Length: " + form.length() + "\r\n\r\n" + form);
    assertThat(r.get(0).status().code()).isEqualTo(400);
    assertThat(body(r.get(0))).contains("too large");
    assertThat(ch.isActive()).isTrue();
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void aConnectionIdleForTheWholeTimeout_isClosed_evenMidAnswer() {
    services = new RegistryServices(services.tokens(), services.authenticator(), (ctx, req, p, a, done) -> () -> { },
        services.json(), services.jwks(), services.metrics(), services.health(), null);
    EmbeddedChannel ch = new EmbeddedChannel(new HttpServerCodec(), new RegistryFrontend(services));
    ch.writeInbound(Unpooled.copiedBuffer("GET /v2/vendor/app/tags/list HTTP/1.1\r\nHost: x\r\nAuthorization: " + basic()
        + "\r\n\r\n", StandardCharsets.ISO_8859_1));
    assertThat(ch.isActive()).isTrue();
    ch.pipeline().fireUserEventTriggered(io.netty.handler.timeout.IdleStateEvent.ALL_IDLE_STATE_EVENT);
    assertThat(ch.isActive()).isFalse();
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void healthz_isAnsweredWithoutCredentials_outsideTheRegistryRoutes() {
    EmbeddedChannel ch = channel();
    List<FullHttpResponse> r = exchange(ch, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    assertThat(r.get(0).status().code()).isEqualTo(200);
    assertThat(body(r.get(0))).isEqualTo("{\"status\":\"ok\"}");
    assertThat(served).isEmpty();
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void whenStopping_aConnectionBetweenRequestsCloses_andOneMidAnswerClosesWhenAnswered() {
    List<RegistryBackend.Completion> pending = new ArrayList<>();
    services = new RegistryServices(services.tokens(), services.authenticator(), (ctx, req, p, a, done) -> {
      pending.add(done);
      return () -> { };
    }, services.json(), services.jwks(), services.metrics(), new Health(store), null);
    EmbeddedChannel idle = new EmbeddedChannel(new HttpServerCodec(), new RegistryFrontend(services));
    EmbeddedChannel busy = new EmbeddedChannel(new HttpServerCodec(), new RegistryFrontend(services));
    busy.writeInbound(Unpooled.copiedBuffer("GET /v2/vendor/app/tags/list HTTP/1.1\r\nHost: x\r\nAuthorization: "
        + basic() + "\r\n\r\n", StandardCharsets.ISO_8859_1));
    assertThat(pending).hasSize(1);

    services.health().stopping();
    idle.pipeline().fireUserEventTriggered(RegistryServer.STOPPING);
    busy.pipeline().fireUserEventTriggered(RegistryServer.STOPPING);
    assertThat(idle.isActive()).isFalse();
    assertThat(busy.isActive()).as("its answer is under way").isTrue();
    pending.get(0).finished(true);
    assertThat(busy.isActive()).as("answered: no next request while stopping").isFalse();
    assertFalse(idle.finishAndReleaseAll());
    assertFalse(busy.finishAndReleaseAll());
  }
}
