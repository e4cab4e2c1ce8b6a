package io.turnstile.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.turnstile.e2e.adminclient.ApiClient;
import io.turnstile.e2e.adminclient.ApiException;
import io.turnstile.e2e.adminclient.api.CustomersApi;
import io.turnstile.e2e.adminclient.api.LicensesApi;
import io.turnstile.e2e.adminclient.api.LogsApi;
import io.turnstile.e2e.adminclient.model.ActivityRecord;
import io.turnstile.e2e.adminclient.model.CreateCustomerRequest;
import io.turnstile.e2e.adminclient.model.Customer;
import io.turnstile.e2e.adminclient.model.License;
import io.turnstile.e2e.adminclient.model.NewLicense;
import io.turnstile.e2e.adminclient.model.RangeGrant;
import io.turnstile.testkit.Proc;
import io.turnstile.testkit.TurnstileProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The admin API's OpenAPI document as tools outside Turnstile read it, from the built jar: the
 * document the server serves passes {@code @redocly/cli lint} (its recommended rules; an error
 * fails, a warning is printed), and a Java client that openapi-generator made from it at build
 * time (see e2e/pom.xml) creates a customer and a license, lists licenses and reads the activity
 * log; and Swagger UI at {@code /admin/docs} shows every operation in headless Chromium under the
 * page's Content-Security-Policy, which the browser reports no violation of.
 */
class OpenApiE2E {
  private Path dir;
  private TurnstileProcess turnstile;

  @BeforeEach
  void start() throws Exception {
    dir = Files.createTempDirectory("turnstile-openapi-e2e");
    turnstile = new TurnstileProcess(dir.resolve("turnstile")).start("http://127.0.0.1:9", "vendor", "vendor-secret");
  }

  @AfterEach
  void stop() {
    turnstile.close();
  }

  @Test
  void theServedDocument_passesRedoclyLint() throws Exception {
    String redocly = System.getenv("TURNSTILE_REDOCLY");
    assertThat(redocly).as("TURNSTILE_REDOCLY (the redocly command of @redocly/cli@2.77.0; e2e/run.sh sets it)")
        .isNotBlank();
    HttpResponse<String> served = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(turnstile.adminUrl() + "/admin/v1/openapi.json")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(served.statusCode()).isEqualTo(200);
    Path document = dir.resolve("openapi.json");
    Files.writeString(document, served.body());

    Proc.Result lint = Proc.run(List.of(redocly, "lint", document.toString(), "--format=stylish"),
        Map.of("NO_COLOR", "1", "REDOCLY_TELEMETRY", "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE", "true"), null,
        Duration.ofMinutes(2));
    System.out.println(lint.out());
    assertThat(lint.exit()).as("redocly lint of the served document:%n%s%n%s", lint.out(), lint.err()).isZero();
    assertThat(lint.all()).contains("Your API description is valid");
  }

  @Test
  void swaggerUi_showsEveryOperation_withinThePagesContentSecurityPolicy() throws Exception {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(Proc.require("chromium"));
    // --no-sandbox: the suite runs as root, where Chromium's sandbox refuses to start.
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000");
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(Path.of(Proc.require("chromedriver")).toFile()).usingAnyFreePort().build();
    WebDriver browser = new ChromeDriver(service, options);
    try {
      int operations = countOperations();
      browser.get(turnstile.adminUrl() + "/admin/docs");
      WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(60));
      wait.pollingEvery(Duration.ofMillis(100));
      wait.withMessage("Swagger UI to list the document's " + operations + " operations")
          .until(d -> d.findElements(By.cssSelector(".opblock")).size() == operations);
      assertThat(browser.findElement(By.cssSelector(".information-container .title")).getText())
          .contains("Turnstile admin API");
      List<String> violations = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
          .map(LogEntry::getMessage).filter(m -> m.contains("Content Security Policy")).toList();
      assertThat(violations).as("the browser's reports of the page's policy").isEmpty();
    } finally {
      browser.quit();
    }
  }

  /** The operations of the served document. */
  private int countOperations() throws Exception {
    var doc = new com.fasterxml.jackson.databind.ObjectMapper().readTree(URI.create(turnstile.adminUrl()
        + "/admin/v1/openapi.json").toURL());
    int n = 0;
    for (var path : doc.get("paths")) {
      for (String method : List.of("get", "head", "post", "put", "patch", "delete")) {
        n += path.has(method) ? 1 : 0;
      }
    }
    return n;
  }

  @Test
  void aClientGeneratedFromTheDocument_createsAndReadsThroughTheApi() throws Exception {
    ApiClient client = new ApiClient();
    client.updateBaseUri(turnstile.adminUrl());
    client.setRequestInterceptor(b -> b.header("Authorization", "Bearer " + TurnstileProcess.ADMIN_TOKEN));
    CustomersApi customers = new CustomersApi(client);
    LicensesApi licenses = new LicensesApi(client);

    Customer acme = customers.createCustomer(new CreateCustomerRequest().name("Acme"), UUID.randomUUID().toString());
    License created = licenses.createLicense(new NewLicense().customerId(acme.getId()).application("app")
        .name("Acme prod").addVersionsItem("1.0.0").addRangesItem(new RangeGrant("2.x")).expiresAt("2099-01-01"),
        UUID.randomUUID().toString());
    assertThat(created.getKey()).as("the key, in the answer that creates the license only").startsWith("tsk_");
    assertThat(created.getState()).isEqualTo(License.StateEnum.ACTIVE);

    List<License> listed = licenses.listLicenses(acme.getId()).getLicenses();
    assertThat(listed).extracting(License::getId).containsExactly(created.getId());
    assertThat(listed.get(0).getKey()).as("never again").isNull();
    assertThat(listed.get(0).getVersions()).containsExactly("1.0.0");
    assertThat(licenses.getLicense(created.getId()).getHistory()).isNotEmpty();

    List<ActivityRecord> activity = new LogsApi(client)
        .listActivity(null, acme.getId(), null, null, null, 10, null, null).getActivity();
    assertThat(activity).extracting(ActivityRecord::getLicenseId).contains(created.getId());
    assertThat(activity).extracting(ActivityRecord::getActor).containsOnly("admin-token");

    ApiException refused = org.junit.jupiter.api.Assertions.assertThrows(ApiException.class,
        () -> customers.getCustomer("cus_nope"));
    assertThat(refused.getCode()).isEqualTo(404);
  }
}
