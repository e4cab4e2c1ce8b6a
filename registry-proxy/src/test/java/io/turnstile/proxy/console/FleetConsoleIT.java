package io.turnstile.proxy.console;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static io.turnstile.store.testing.Eventually.until;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.turnstile.proxy.testing.Browser;
import io.turnstile.proxy.testing.FakeRegistry;
import io.turnstile.proxy.testing.TestTurnstile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console's fleet page on a real Turnstile after real pulls: the versions matrix, the adoption
 * table the chart is drawn from, the needs-attention list, the CSV downloads, and the chart
 * library served from its webjar under the pages' strict Content-Security-Policy.
 */
class FleetConsoleIT {
  @RegisterExtension
  static WireMockExtension upstream = WireMockExtension.newInstance()
      .options(wireMockConfig().dynamicPort()).build();

  @TempDir Path dir;
  private TestTurnstile ts;
  private Browser browser;

  @BeforeEach
  void start() throws Exception {
    new FakeRegistry(upstream).image("org/app", "1.0.0", 1, 100);
    ts = new TestTurnstile(dir, upstream.baseUrl());
    browser = new Browser(ts.adminUrl());
    browser.get("/console/sign-in");
    HttpResponse<String> r = browser.post("/console/sign-in", Map.of("token", TestTurnstile.ADMIN_TOKEN));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(303);
  }

  @AfterEach
  void stop() {
    ts.close();
  }

  @Test
  void fleetPage_showsThePulledVersion_itsAdoptionToday_andTheEndOfLifePull_withCsvOneClickAway() throws Exception {
    TestTurnstile.Login a = ts.license("app", "1.0.0");
    HttpResponse<Void> pull = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create(ts.registryUrl() + "/v2/vendor/app/manifests/1.0.0"))
        .header("Authorization", a.basic()).header("Accept", FakeRegistry.OCI_MANIFEST).build(),
        HttpResponse.BodyHandlers.discarding());
    assertThat(pull.statusCode()).isEqualTo(200);
    String[] page = {""};
    until("the pull on the fleet page", () -> {
      assertThat(ts.server.pullAudit().flush(Duration.ofSeconds(10))).isTrue();
      page[0] = browser.get("/console/fleet?application=app").body();
      return page[0].contains("data-license=\"" + a.username() + "\" data-version=\"1.0.0\"");
    });
    String today = LocalDate.now(ZoneOffset.UTC).toString();
    assertThat(page[0])
        .contains("<th scope=\"col\" class=\"eol\">1.0.0 (end of life)</th>")
        .contains("1 address</strong> <span class=\"kind\">last pulled</span>")
        .contains("<tr><th scope=\"row\">" + today + "</th><td>1</td></tr>")
        .contains("id=\"adoption-chart\"")
        .contains("<tr data-reason=\"endOfLife\" data-license=\"" + a.username() + "\">")
        .contains("<script src=\"/console/static/uplot.js\" defer></script>")
        .contains("href=\"/console/fleet/versions.csv?application=app\"")
        .contains("<a href=\"/console/fleet\">Fleet</a>")
        .doesNotContain(a.key()).doesNotContain("<script>").doesNotContain("style=\"");

    HttpResponse<String> csv = browser.get("/console/fleet/versions.csv?application=app");
    assertThat(csv.statusCode()).isEqualTo(200);
    assertThat(csv.headers().firstValue("Content-Type")).hasValue("text/csv; charset=utf-8");
    assertThat(csv.headers().firstValue("Content-Disposition")).hasValue("attachment; filename=\"fleet-versions.csv\"");
    assertThat(csv.body()).contains("," + a.username() + ",app,app,1.0.0,");
    assertThat(browser.get("/console/fleet/adoption.csv").body()).contains(today + ",app,1.0.0,1\r\n");
    assertThat(browser.get("/console/fleet/attention.csv").body()).contains("endOfLife,").contains(a.username());
    assertThat(browser.get("/console/fleet/other.csv").statusCode()).isEqualTo(404);
    HttpResponse<String> unknown = browser.get("/console/fleet?application=nope");
    assertThat(unknown.statusCode()).isEqualTo(400);
    assertThat(unknown.body()).contains("no application named 'nope'");
  }

  @Test
  void theChartLibrary_isServedFromItsWebjar_asAScriptOfThisOrigin() throws Exception {
    HttpResponse<String> js = browser.get("/console/static/uplot.js");
    assertThat(js.statusCode()).isEqualTo(200);
    assertThat(js.headers().firstValue("Content-Type")).hasValue("text/javascript; charset=utf-8");
    assertThat(js.body()).contains("uPlot");
    assertThat(browser.get("/console/static/uplot.css").headers().firstValue("Content-Type"))
        .hasValue("text/css; charset=utf-8");
    assertThat(browser.get("/console/static/fleet.js").body()).contains("new uPlot(");
    HttpResponse<String> page = browser.get("/console/fleet");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow())
        .contains("script-src 'self'").doesNotContain("unsafe-inline");
    assertThat(page.body()).contains("No pulls recorded in the past 90 days.").contains("Nothing needs attention.");
    // Only the listed files: nothing else of the webjar, nor of the classpath, is reachable.
    assertThat(browser.get("/console/static/dist/uPlot.iife.min.js").statusCode()).isEqualTo(404);
    assertThat(browser.get("/console/static/../../META-INF/maven/org.webjars.npm/uplot/pom.properties").statusCode())
        .isEqualTo(404);
  }
}
