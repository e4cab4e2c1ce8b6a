package io.turnstile.proxy.observe;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static io.turnstile.store.testing.Eventually.until;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.core.Options;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.turnstile.proxy.testing.FakeRegistry.Image;
import io.turnstile.proxy.testing.FakeRegistry;
import io.turnstile.proxy.testing.TestTurnstile;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * What Turnstile tells its operators: metrics and health on the admin listener, health on the
 * public one, and the access log, which must never carry a credential.
 */
class ObservabilityIT {
  @RegisterExtension
  static WireMockExtension upstream = WireMockExtension.newInstance()
      .options(wireMockConfig().dynamicPort().useChunkedTransferEncoding(Options.ChunkedEncodingPolicy.ALWAYS))
      .build();

  @TempDir Path dir;
  private TestTurnstile ts;
  private TestTurnstile.Login login;
  private Image v100;
  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();
  private final ListAppender<ILoggingEvent> captured = new ListAppender<>();
  private Level accessLevel;

  @BeforeEach
  void start() throws Exception {
    FakeRegistry registry = new FakeRegistry(upstream);
    v100 = registry.image("org/app", "1.0.0", 1, 3000);
    ts = new TestTurnstile(dir, upstream.baseUrl());
    login = ts.license("app", "1.0.0");
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    Logger access = context.getLogger(AccessLog.LOGGER);
    accessLevel = access.getLevel();
    access.setLevel(Level.INFO);
    captured.setContext(context);
    captured.start();
    context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(captured);
  }

  @AfterEach
  void stop() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).detachAppender(captured);
    context.getLogger(AccessLog.LOGGER).setLevel(accessLevel);
    ts.close();
  }

  private HttpResponse<String> get(String url, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> postForm(String url, String form) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private String metrics() throws Exception {
    HttpResponse<String> r = get(ts.adminUrl() + "/metrics");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
    return r.body();
  }

  /** The value of the series named exactly {@code series} (name and labels as Prometheus prints them). */
  private static double value(String scrape, String series) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(scrape);
    assertThat(m.find()).as(series + " in\n" + scrape).isTrue();
    return Double.parseDouble(m.group(1));
  }

  /**
   * The access log lines written so far, once {@code count} of them are in: a request is logged once
   * its answer has been written, which its client can see a moment before.
   */
  private List<ILoggingEvent> accessLines(int count) throws Exception {
    List<ILoggingEvent> lines = new ArrayList<>();
    until(count + " access log lines", () -> {
      lines.clear();
      for (ILoggingEvent e : List.copyOf(captured.list)) {
        if (e.getLoggerName().equals(AccessLog.LOGGER)) {
          lines.add(e);
        }
      }
      return lines.size() >= count;
    });
    return lines;
  }

  private static String field(ILoggingEvent e, String key) {
    return e.getKeyValuePairs() == null ? null : e.getKeyValuePairs().stream().filter(p -> p.key.equals(key))
        .map(p -> String.valueOf(p.value)).findFirst().orElse(null);
  }

  /** Every line captured, as the JSON and the text format would write it. */
  private String renderedLog() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    var jsonEncoder = Logging.jsonEncoder(context);
    PatternLayoutEncoder text = new PatternLayoutEncoder();
    text.setContext(context);
    text.setPattern("%d %-5level [%thread] %logger - %msg%replace( %kvp){'^ $', ''}%n%ex");
    text.start();
    StringBuilder all = new StringBuilder();
    for (ILoggingEvent e : List.copyOf(captured.list)) {
      all.append(new String(jsonEncoder.encode(e), StandardCharsets.UTF_8));
      all.append(new String(text.encode(e), StandardCharsets.UTF_8));
    }
    return all.toString();
  }

  @Test
  void metrics_needNoToken_andCountRequestsBytesUpstreamCallsCachesAndTheStore() throws Exception {
    String auth = login.basic();
    assertThat(get(ts.registryUrl() + "/v2/vendor/app/manifests/1.0.0", "Authorization", auth,
        "Accept", FakeRegistry.OCI_MANIFEST).statusCode()).isEqualTo(200);
    HttpResponse<String> blob = get(ts.registryUrl() + "/v2/vendor/app/blobs/" + v100.layers().get(0),
        "Authorization", auth);
    assertThat(blob.statusCode()).isEqualTo(200);
    assertThat(get(ts.registryUrl() + "/v2/vendor/app/manifests/9.9.9", "Authorization", auth).statusCode())
        .isEqualTo(403);
    assertThat(get(ts.registryUrl() + "/v2/vendor/app/manifests/1.0.0").statusCode()).isEqualTo(401);
    accessLines(4);

    String m = metrics();
    assertThat(value(m, "turnstile_requests_total{route=\"manifest\",status=\"200\"}")).isEqualTo(1);
    assertThat(value(m, "turnstile_requests_total{route=\"blob\",status=\"200\"}")).isEqualTo(1);
    assertThat(value(m, "turnstile_requests_total{route=\"manifest\",status=\"403\"}")).isEqualTo(1);
    assertThat(value(m, "turnstile_served_bytes_total{route=\"blob\"}")).isEqualTo(3000);
    assertThat(value(m, "turnstile_denials_total{reason=\"tag_not_granted\"}")).isEqualTo(1);
    assertThat(value(m, "turnstile_denials_total{reason=\"no_credentials\"}")).isEqualTo(1);
    assertThat(value(m, "turnstile_upstream_requests_total{call=\"registry\",status=\"2xx\",upstream=\"vendor\"}"))
        .isGreaterThanOrEqualTo(2);
    assertThat(value(m, "turnstile_upstream_request_duration_seconds_count{call=\"registry\",upstream=\"vendor\"}"))
        .isGreaterThanOrEqualTo(2);
    assertThat(m).contains("turnstile_upstream_request_duration_seconds_bucket{call=\"registry\",upstream=\"vendor\",le=\"0.1\"}");
    assertThat(value(m, "turnstile_upstream_errors_total{call=\"registry\",kind=\"timeout\",upstream=\"vendor\"}"))
        .isZero();
    assertThat(value(m, "cache_gets_total{cache=\"tag\",result=\"miss\"}")).isGreaterThanOrEqualTo(1);
    assertThat(value(m, "cache_gets_total{cache=\"manifest\",result=\"hit\"}")).isGreaterThanOrEqualTo(1);
    assertThat(m).contains("cache_gets_total{cache=\"closure\",result=\"miss\"}");
    // The pull is recorded just after its answer has been written, after its access log line too.
    until("the pull's record written", () -> ts.server.pullAudit().flush(Duration.ofSeconds(10))
        && value(metrics(), "turnstile_audit_records_written_total") >= 1);
    String after = metrics();
    assertThat(value(after, "turnstile_audit_records_written_total")).isEqualTo(1);
    assertThat(value(after, "turnstile_audit_records_dropped_total")).isZero();
    assertThat(value(after, "turnstile_audit_queue_depth")).isZero();
    assertThat(value(after, "turnstile_audit_queue_capacity")).isPositive();
    assertThat(after).contains("turnstile_audit_open ", "turnstile_audit_write_failures_total ");
    assertThat(value(m, "turnstile_snapshot_licenses")).isEqualTo(1);
    assertThat(value(m, "turnstile_store_reachable")).isEqualTo(1);
    assertThat(m).contains("turnstile_snapshot_age_seconds ", "turnstile_snapshot_reload_duration_seconds ",
        "turnstile_snapshot_cursor ", "turnstile_store_statements_total ", "turnstile_connections_open ",
        "jvm_memory_used_bytes", "jvm_gc_", "netty_allocator_memory_used", "netty_eventexecutor_tasks_pending",
        "process_uptime_seconds");
  }

  @Test
  void tokensIssuedAndRefused_areCountedByReason() throws Exception {
    String tokenUrl = ts.registryUrl() + "/token?service=turnstile&scope=repository:vendor/app:pull";
    assertThat(get(tokenUrl, "Authorization", login.basic()).statusCode()).isEqualTo(200);
    assertThat(get(tokenUrl, "Authorization", TestTurnstile.basic(login.username(), "wrong")).statusCode())
        .isEqualTo(401);
    assertThat(get(tokenUrl).statusCode()).isEqualTo(401);
    accessLines(3);

    String m = metrics();
    assertThat(value(m, "turnstile_tokens_issued_total")).isEqualTo(1);
    assertThat(value(m, "turnstile_tokens_refused_total{reason=\"bad_credentials\"}")).isEqualTo(1);
    assertThat(value(m, "turnstile_tokens_refused_total{reason=\"no_credentials\"}")).isEqualTo(1);
    assertThat(value(m, "turnstile_requests_total{route=\"token\",status=\"401\"}")).isEqualTo(2);
  }

  @Test
  void healthAndReadiness_answerWithoutCredentials() throws Exception {
    HttpResponse<String> alive = get(ts.adminUrl() + "/healthz");
    assertThat(alive.statusCode()).isEqualTo(200);
    HttpResponse<String> ready = get(ts.adminUrl() + "/readyz");
    assertThat(ready.statusCode()).isEqualTo(200);
    JsonNode r = json.readTree(ready.body());
    assertThat(r.get("status").asText()).isEqualTo("ready");
    assertThat(r.at("/checks/snapshot/ok").asBoolean()).isTrue();
    assertThat(r.at("/checks/store/ok").asBoolean()).isTrue();
    assertThat(r.at("/checks/stopping/ok").asBoolean()).isTrue();

    HttpResponse<String> publicHealth = get(ts.registryUrl() + "/healthz");
    assertThat(publicHealth.statusCode()).isEqualTo(200);
    assertThat(publicHealth.body()).isEqualTo("{\"status\":\"ok\"}");
    // The rest of the admin API still wants its token.
    assertThat(get(ts.adminUrl() + "/admin/v1/customers").statusCode()).isEqualTo(401);
  }

  @Test
  void accessLog_hasOneLinePerRequestWithItsFields() throws Exception {
    HttpResponse<String> r = get(ts.registryUrl() + "/v2/vendor/app/blobs/" + v100.layers().get(0),
        "Authorization", login.basic(), "User-Agent", "docker/27.0 go/go1.22");
    assertThat(r.statusCode()).isEqualTo(200);
    get(ts.registryUrl() + "/v2/vendor/app/manifests/2.0.0", "Authorization", login.basic());

    List<ILoggingEvent> lines = accessLines(2);
    assertThat(lines).hasSize(2);
    ILoggingEvent blob = lines.get(0);
    assertThat(field(blob, "request_id")).isEqualTo(r.headers().firstValue("X-Request-Id").orElseThrow());
    assertThat(field(blob, "client")).isEqualTo("127.0.0.1");
    assertThat(field(blob, "method")).isEqualTo("GET");
    assertThat(field(blob, "path")).isEqualTo("/v2/vendor/app/blobs/" + v100.layers().get(0));
    assertThat(field(blob, "route")).isEqualTo("blob");
    assertThat(field(blob, "license_id")).isEqualTo(login.username());
    assertThat(field(blob, "customer_id")).isEqualTo(login.customer());
    assertThat(field(blob, "repository")).isEqualTo("vendor/app");
    assertThat(field(blob, "reference")).isEqualTo(v100.layers().get(0));
    assertThat(field(blob, "status")).isEqualTo("200");
    assertThat(field(blob, "bytes")).isEqualTo("3000");
    assertThat(field(blob, "upstream_status")).isEqualTo("200");
    assertThat(field(blob, "upstream_ms")).isNotNull();
    assertThat(field(blob, "duration_ms")).isNotNull();
    assertThat(field(blob, "user_agent")).isEqualTo("docker/27.0 go/go1.22");
    ILoggingEvent denied = lines.get(1);
    assertThat(field(denied, "status")).isEqualTo("403");
    assertThat(field(denied, "error_code")).isEqualTo("DENIED");
    assertThat(field(denied, "denial")).isEqualTo("tag_not_granted");

    JsonNode asJson = json.readTree(Logging.jsonEncoder((LoggerContext) LoggerFactory.getILoggerFactory())
        .encode(blob));
    assertThat(asJson.get("time").asText()).endsWith("Z");
    assertThat(asJson.get("status").asInt()).isEqualTo(200);
    assertThat(asJson.get("license_id").asText()).isEqualTo(login.username());
    assertThat(asJson.get("logger").asText()).isEqualTo(AccessLog.LOGGER);
  }

  @Test
  void accessLog_neverCarriesAKeyTokenOrPassword_forBasicBearerRefreshAndPasswordGrants() throws Exception {
    String key = login.key();
    String scope = "repository:vendor/app:pull";
    // Basic on /token and on /v2/, with a password slipped into the query for good measure.
    HttpResponse<String> basic = get(ts.registryUrl() + "/token?service=turnstile&scope=" + scope + "&offline_token=true"
        + "&password=" + key + "&refresh_token=" + key, "Authorization", login.basic());
    assertThat(basic.statusCode()).isEqualTo(200);
    JsonNode issued = json.readTree(basic.body());
    String access = issued.get("token").asText();
    String refresh = issued.get("refresh_token").asText();
    get(ts.registryUrl() + "/v2/vendor/app/manifests/1.0.0", "Authorization", login.basic());
    // Bearer.
    assertThat(get(ts.registryUrl() + "/v2/vendor/app/manifests/1.0.0", "Authorization", "Bearer " + access)
        .statusCode()).isEqualTo(200);
    // The OAuth2 password and refresh-token grants, in POSTed forms.
    String enc = URLEncoder.encode(scope, StandardCharsets.UTF_8);
    assertThat(postForm(ts.registryUrl() + "/token", "grant_type=password&service=turnstile&client_id=ctr&scope=" + enc
        + "&username=" + login.username() + "&password=" + key).statusCode()).isEqualTo(200);
    assertThat(postForm(ts.registryUrl() + "/token", "grant_type=refresh_token&service=turnstile&client_id=ctr&scope="
        + enc + "&refresh_token=" + refresh).statusCode()).isEqualTo(200);
    // Refusals too: a wrong key and a forged refresh token.
    postForm(ts.registryUrl() + "/token", "grant_type=password&service=turnstile&username=" + login.username()
        + "&password=" + key + "x");
    postForm(ts.registryUrl() + "/token", "grant_type=refresh_token&service=turnstile&refresh_token=" + refresh + "x");

    List<ILoggingEvent> lines = accessLines(7);
    assertThat(lines).hasSize(7);
    assertThat(field(lines.get(0), "query")).isEqualTo("service=turnstile&scope=repository%3Avendor%2Fapp%3Apull"
        + "&offline_token=true");
    assertThat(field(lines.get(2), "license_id")).as("the bearer's license").isEqualTo(login.username());
    assertThat(field(lines.get(3), "license_id")).as("the password grant's license").isEqualTo(login.username());
    String log = renderedLog();
    assertThat(log).contains(login.username());
    String[] secrets = {key, access, refresh, login.basic().substring("Basic ".length()),
        access.substring(access.lastIndexOf('.') + 1), refresh.substring(refresh.lastIndexOf('.') + 1)};
    for (String secret : secrets) {
      assertThat(log).doesNotContain(secret);
    }
    assertThat(log).doesNotContainIgnoringCase("password=").doesNotContain("refresh_token=").doesNotContain("Bearer ");
  }
}
