package io.turnstile.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.JWKSet;
import io.turnstile.proxy.licensing.LicenseVerifier;
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
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Entitlements in headless Chromium: the vendor sets {@code seats=25} in the console, and the
 * customer's open portal page shows it, and offers a new license file carrying it, within one
 * second; the file the page then downloads verifies against the published keys. The pages pass
 * axe-core's serious and critical checks.
 */
class LicenseFilesConsoleE2E {
  /** The README's promise: an edit in the console shows in the open portal within a second. */
  private static final Duration LIVE = Duration.ofSeconds(1);
  /** How long a read waits for what it reads, and a click for the next page. */
  private static final Duration PATIENCE = Duration.ofSeconds(20);

  @TempDir Path dir;
  private TurnstileProcess turnstile;
  private WebDriver vendor;
  private WebDriver customer;
  private String axe;
  private String licenseId;
  private String key;

  @BeforeEach
  void start() throws Exception {
    String chromium = Proc.require("chromium");
    String driver = Proc.require("chromedriver");
    String axePath = System.getenv("TURNSTILE_AXE_JS");
    assertThat(axePath).as("TURNSTILE_AXE_JS (axe.min.js from the npm package axe-core; e2e/run.sh sets it)").isNotBlank();
    axe = Files.readString(Path.of(axePath));
    turnstile = new TurnstileProcess(dir.resolve("turnstile"))
        .entitlements("{name: seats, type: integer, default: 5, visible: true}", "{name: sso, type: boolean, default: false}")
        .start("http://127.0.0.1:9", "vendor", "vendor-secret");
    String customerId = turnstile.cli("customer", "create", "--name", "Acme").get("id").asText();
    var license = turnstile.cli("license", "create", "--customer", customerId, "--application", "app",
        "--version", "1.0.0", "--entitlement", "seats=10");
    licenseId = license.get("id").asText();
    key = license.get("key").asText();
    vendor = browser(chromium, driver);
    customer = browser(chromium, driver);
  }

  @AfterEach
  void stop() {
    if (vendor != null) vendor.quit();
    if (customer != null) customer.quit();
    if (turnstile != null) turnstile.close();
  }

  private static WebDriver browser(String chromium, String driver) {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium);
    // --no-sandbox: the suite runs as root, where Chromium's sandbox refuses to start.
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000",
        "--lang=en-US");
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(Path.of(driver).toFile())
        .usingAnyFreePort().build();
    WebDriver d = new ChromeDriver(service, options);
    d.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
    return d;
  }

  @Test
  void seatsSetInTheConsole_showInTheOpenPortal_withANewLicenseFile_withinOneSecond() throws Exception {
    customer.get(turnstile.url() + "/portal/sign-in");
    customer.findElement(By.id("username")).sendKeys(licenseId);
    customer.findElement(By.id("key")).sendKeys(key);
    submit(customer, By.id("sign-in"));
    assertThat(text(customer, By.cssSelector("[data-entitlement=seats]"), t -> !t.isEmpty())).isEqualTo("10");
    assertThat(customer.getPageSource()).as("a hidden field stays hidden").doesNotContain("data-entitlement=\"sso\"");
    text(customer, By.id("live-status"), t -> t.startsWith("Live"));
    String fileBefore = read(customer, By.cssSelector("[data-role=license-file]"), e -> e.getDomAttribute("data-version"));
    axeCheck(customer, "portal with entitlements");

    vendor.get(turnstile.adminUrl() + "/console/sign-in");
    vendor.findElement(By.id("token")).sendKeys(TurnstileProcess.ADMIN_TOKEN);
    submit(vendor, By.cssSelector("form[action='/console/sign-in'] button[type=submit]"));
    vendor.get(turnstile.adminUrl() + "/console/licenses/" + licenseId);
    WebElement seats = read(vendor, By.id("ent-seats"), e -> e);
    assertThat(seats.getDomProperty("value")).isEqualTo("10");
    axeCheck(vendor, "console license page with entitlements");
    seats.clear();
    seats.sendKeys("25");
    long madeAt = submit(vendor, By.id("save-entitlements"));
    assertThat(text(vendor, By.cssSelector("[data-entitlement=seats]"))).isEqualTo("25");

    // The value and the file link are read in one script, so they belong to the same update.
    List<?> shown = look(customer, "seats=25 and a new license file in the open portal", x -> (List<?>)
        ((JavascriptExecutor) x).executeScript("""
            const licenses = document.getElementById('licenses');
            const seats = licenses && licenses.querySelector('[data-entitlement=seats]');
            const file = licenses && licenses.querySelector('[data-role=license-file]');
            return seats && file ? [seats.innerText, file.dataset.version, file.getAttribute('href'),
                licenses.dataset.updated || ''] : null;
            """), s -> "25".equals(String.valueOf(s.get(0))));
    assertThat(String.valueOf(shown.get(1))).as("a new file is offered").isNotEqualTo(fileBefore);
    assertThat(String.valueOf(shown.get(3))).as("a live update brought it").isNotEmpty();
    long ms = Long.parseLong(String.valueOf(shown.get(3))) - madeAt;
    System.out.printf("LicenseFilesConsoleE2E: seats=25 and a new license file showed in the open portal %d ms after"
        + " the vendor saved%n", ms);
    assertThat(Duration.ofMillis(ms)).as("seats=25 showed in the open portal %d ms after it was saved", ms)
        .isLessThan(LIVE);

    // The file as the customer's browser downloads it, with its session, verifies and carries the edit.
    Object jws = ((JavascriptExecutor) customer).executeAsyncScript("""
        const done = arguments[arguments.length - 1];
        fetch(arguments[0]).then(r => r.text()).then(done).catch(e => done('failed: ' + e));
        """, String.valueOf(shown.get(2)));
    HttpResponse<String> keys = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(turnstile.url() + "/.well-known/license-keys.json")).build(),
        HttpResponse.BodyHandlers.ofString());
    var claims = LicenseVerifier.files(JWKSet.parse(keys.body())).verify(String.valueOf(jws));
    assertThat(claims.getSubject()).isEqualTo(licenseId);
    assertThat(claims.getJSONObjectClaim("entitlements")).isEqualTo(Map.of("seats", 25L, "sso", false));
  }

  /** axe-core's serious and critical findings on the page: none. */
  private void axeCheck(WebDriver d, String page) {
    JavascriptExecutor js = (JavascriptExecutor) d;
    // WebDriver's scripts are not bound by the page's Content-Security-Policy.
    js.executeScript(axe);
    Object result = js.executeAsyncScript("""
        const done = arguments[arguments.length - 1];
        axe.run(document).then(r => done(JSON.stringify(r.violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.html)})))))
          .catch(e => done('axe failed: ' + e));
        """);
    assertThat(String.valueOf(result)).as("serious accessibility violations on the " + page).isEqualTo("[]");
  }

  /**
   * What {@code look} sees once {@code until} holds for it, finding afresh each time: the portal's
   * live stream replaces its licenses under any element found a moment ago.
   */
  private static <T> T look(WebDriver d, String what, Function<WebDriver, T> look, Predicate<T> until) {
    AtomicReference<Object> last = new AtomicReference<>("nothing");
    try {
      WebDriverWait w = new WebDriverWait(d, PATIENCE);
      w.pollingEvery(Duration.ofMillis(25));
      w.ignoring(StaleElementReferenceException.class);
      w.ignoring(org.openqa.selenium.NoSuchElementException.class);
      return w.until(x -> {
        T seen = look.apply(x);
        last.set(seen);
        return seen != null && until.test(seen) ? seen : null;
      });
    } catch (TimeoutException e) {
      throw new AssertionError("waited " + PATIENCE.toSeconds() + " s for " + what + "; last seen: " + last.get(), e);
    }
  }

  private static <T> T read(WebDriver d, By by, Function<WebElement, T> read) {
    return look(d, by.toString(), x -> read.apply(x.findElement(by)), v -> true);
  }

  private static String text(WebDriver d, By by) {
    return read(d, by, WebElement::getText);
  }

  private static String text(WebDriver d, By by, Predicate<String> until) {
    return look(d, by + " to satisfy the test's condition", x -> x.findElement(by).getText(), until);
  }

  /**
   * Clicks what {@code by} finds and waits for the next page, loaded whole.
   *
   * @return the wall-clock time just before the click, in epoch milliseconds
   */
  private static long submit(WebDriver d, By by) {
    WebElement button = read(d, by, e -> e);
    ((JavascriptExecutor) d).executeScript("window.turnstileLeaving = true");
    long at = System.currentTimeMillis();
    button.click();
    try {
      new WebDriverWait(d, PATIENCE).ignoring(WebDriverException.class).until(x -> Boolean.TRUE.equals(
          ((JavascriptExecutor) x).executeScript(
              "return window.turnstileLeaving === undefined && document.readyState === 'complete'")));
    } catch (TimeoutException e) {
      throw new AssertionError("the browser did not leave " + d.getCurrentUrl() + " within " + PATIENCE.toSeconds() + " s", e);
    }
    return at;
  }
}
