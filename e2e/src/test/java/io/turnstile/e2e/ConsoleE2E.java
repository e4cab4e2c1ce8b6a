package io.turnstile.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.turnstile.testkit.Distribution;
import io.turnstile.testkit.Proc;
import io.turnstile.testkit.Seeder;
import io.turnstile.testkit.TurnstileProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The vendor console and the customer portal in headless Chromium (Debian's chromium and
 * chromium-driver, driven by Selenium), against the built jar with a real distribution upstream:
 * the vendor follows the license guide's steps in the console, the customer pulls with docker and
 * watches the portal follow the vendor's edits live. Every screen is checked with axe-core for
 * serious accessibility violations and saved as a screenshot under e2e/target/screenshots (or the
 * folder the system property turnstile.screenshots names, e.g. ../docs/screenshots to refresh the README's).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleE2E {
  private static final Duration LIVE = Duration.ofSeconds(1);

  private Path dir;
  private Distribution upstream;
  private Daemons daemons;
  private TurnstileProcess turnstile;
  private WebDriver vendor;
  private WebDriver customer;
  private String axe;
  private final ObjectMapper json = new ObjectMapper();
  private String customerId;
  private String licenseId;
  private String key;

  @BeforeAll
  void start() throws Exception {
    String chromium = Proc.require("chromium");
    String driver = Proc.require("chromedriver");
    String axePath = System.getenv("TURNSTILE_AXE_JS");
    assertThat(axePath).as("TURNSTILE_AXE_JS (axe.min.js from the npm package axe-core; e2e/run.sh sets it)").isNotBlank();
    axe = Files.readString(Path.of(axePath));
    dir = Files.createTempDirectory("turnstile-console-e2e");
    upstream = Distribution.basic(dir.resolve("upstream"), dir.resolve("storage"),
        Map.of("vendor", "vendor-secret")).start();
    new Seeder(upstream.url(), "vendor", "vendor-secret").seedAll();
    daemons = new Daemons(dir.resolve("daemons")).start();
    turnstile = new TurnstileProcess(dir.resolve("turnstile")).start(upstream.url(), "vendor", "vendor-secret");
    vendor = browser(chromium, driver);
    customer = browser(chromium, driver);
    Files.createDirectories(screenshots());
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

  @AfterAll
  void stop() {
    if (vendor != null) vendor.quit();
    if (customer != null) customer.quit();
    if (turnstile != null) turnstile.close();
    if (daemons != null) daemons.close();
    if (upstream != null) upstream.close();
  }

  private static Path screenshots() {
    return Path.of(System.getProperty("turnstile.screenshots", "target/screenshots"));
  }

  /** Saves the screen as {name}.png in the screenshots folder and checks it with axe-core. */
  private void screen(WebDriver d, String name) throws Exception {
    Files.write(screenshots().resolve(name + ".png"), ((TakesScreenshot) d).getScreenshotAs(OutputType.BYTES));
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
    assertThat(String.valueOf(result)).as("serious accessibility violations on " + name).isEqualTo("[]");
  }

  private String console(String path) {
    return turnstile.adminUrl() + "/console" + path;
  }

  private String portal(String path) {
    return turnstile.url() + "/portal" + path;
  }

  private WebElement id(WebDriver d, String id) {
    return d.findElement(By.id(id));
  }

  /**
   * Clicks {@code button}, which submits a form or follows a link, and waits for the next page: the
   * click returns before the browser has left the page it was on.
   */
  private static void submit(WebDriver d, WebElement button) {
    // A mark on the page being left; the next page, once loaded, has none.
    ((JavascriptExecutor) d).executeScript("window.turnstileLeaving = true");
    button.click();
    waitFor(d, Duration.ofSeconds(5)).ignoring(WebDriverException.class).until(d2 -> Boolean.TRUE.equals(
        ((JavascriptExecutor) d2).executeScript(
            "return window.turnstileLeaving === undefined && document.readyState === 'complete'")));
  }

  private static WebDriverWait waitFor(WebDriver d, Duration limit) {
    WebDriverWait w = new WebDriverWait(d, limit);
    w.pollingEvery(Duration.ofMillis(25));
    // A live update replaces the licenses between finding an element and reading it: look again.
    w.ignoring(StaleElementReferenceException.class);
    return w;
  }

  private void docker(String... args) {
    Proc.Result r = daemons.docker(args);
    assertThat(r.exit()).as(r.all()).isZero();
  }

  private void dockerLogin(String user, String secret) {
    Proc.Result r = daemons.dockerWithInput(secret, "login", "-u", user, "--password-stdin", turnstile.host());
    assertThat(r.exit()).as(r.all()).isZero();
  }

  @Test
  @Order(1)
  void console_signIn_wrongTokenIsRefused_thenTheTokenStartsASession() throws Exception {
    vendor.get(console("/licenses"));
    assertThat(vendor.getCurrentUrl()).endsWith("/console/sign-in");
    screen(vendor, "console-sign-in");
    id(vendor, "token").sendKeys("not-the-token");
    id(vendor, "token").submit();
    assertThat(vendor.findElement(By.cssSelector(".error")).getText()).contains("not the admin token");
    id(vendor, "token").sendKeys(TurnstileProcess.ADMIN_TOKEN);
    id(vendor, "token").submit();
    assertThat(vendor.getCurrentUrl()).endsWith("/console/licenses");
    assertThat(vendor.getPageSource()).doesNotContain(TurnstileProcess.ADMIN_TOKEN);
    Object storage = ((JavascriptExecutor) vendor).executeScript(
        "return JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + document.cookie");
    assertThat(String.valueOf(storage)).as("HttpOnly cookie, nothing in page storage")
        .doesNotContain(TurnstileProcess.ADMIN_TOKEN).doesNotContain("turnstile_console");
  }

  @Test
  @Order(2)
  void console_createCustomer() throws Exception {
    vendor.get(console("/customers"));
    id(vendor, "name").sendKeys("Acme Corp");
    submit(vendor, id(vendor, "create-customer"));
    customerId = id(vendor, "customer-id").getText();
    assertThat(customerId).startsWith("cus_");
    assertThat(vendor.findElement(By.tagName("h1")).getText()).isEqualTo("Acme Corp");
    screen(vendor, "console-customer");
    vendor.get(console("/customers"));
    screen(vendor, "console-customers");
  }

  @Test
  @Order(3)
  void console_createLicense_throughTheGuidesSteps_showsTheKeyOnce() throws Exception {
    vendor.get(console("/customers/" + customerId));
    submit(vendor, id(vendor, "new-license"));
    // 1. a name
    id(vendor, "name").sendKeys("Production");
    // 2. an expiration date, through the date picker's input
    ((JavascriptExecutor) vendor).executeScript("arguments[0].value = '2099-01-31'", id(vendor, "expiresAt"));
    // 3. the application
    new Select(id(vendor, "application")).selectByValue("app");
    // 4. the versions, as found at the upstream
    WebElement v100 = vendor.findElement(By.cssSelector("input[name='version.app'][value='1.0.0']"));
    assertThat(vendor.findElements(By.cssSelector("input[name='version.app']"))).extracting(e -> e.getAttribute("value"))
        .contains("1.0.0", "1.1.0", "2.0.0");
    v100.click();
    // 5. the customer
    assertThat(new Select(id(vendor, "customerId")).getFirstSelectedOption().getAttribute("value")).isEqualTo(customerId);
    screen(vendor, "console-create-license");
    // 6. save
    id(vendor, "save-license").click();
    licenseId = waitFor(vendor, Duration.ofSeconds(5)).until(d -> id(d, "license-id")).getText();
    key = id(vendor, "issued-key").getText();
    assertThat(key).startsWith("tsk_");
    assertThat(id(vendor, "issued-login").getText()).contains("docker login " + turnstile.host() + " -u " + licenseId);
    assertThat(vendor.findElements(By.cssSelector("button.copy"))).isNotEmpty();
    screen(vendor, "console-license-created");
    vendor.navigate().refresh();
    assertThat(vendor.getPageSource()).as("the key is shown once").doesNotContain(key);
    assertThat(id(vendor, "granted").getText()).contains("1.0.0");
  }

  @Test
  @Order(4)
  void docker_pullsTheGrantedVersion_withTheKeyShownOnce() {
    dockerLogin(licenseId, key);
    docker("pull", turnstile.host() + "/vendor/app:1.0.0");
  }

  @Test
  @Order(5)
  void portal_signIn_wrongKeyIsRefused_thenTheKeyShowsTheVersionAndCommands() throws Exception {
    customer.get(portal("/"));
    assertThat(customer.getCurrentUrl()).endsWith("/portal/sign-in");
    screen(customer, "portal-sign-in");
    id(customer, "username").sendKeys(licenseId);
    id(customer, "key").sendKeys("tsk_wrong");
    submit(customer, id(customer, "sign-in"));
    assertThat(customer.findElement(By.cssSelector(".error")).getText()).contains("Wrong");
    customer.get(portal("/"));
    assertThat(customer.getCurrentUrl()).as("no session").endsWith("/portal/sign-in");
    id(customer, "username").sendKeys(licenseId);
    id(customer, "key").sendKeys(key);
    id(customer, "sign-in").click();
    waitFor(customer, Duration.ofSeconds(5)).until(d -> d.getCurrentUrl().endsWith("/portal/"));
    String versions = customer.findElement(By.cssSelector("[data-role=versions]")).getText();
    assertThat(versions).isEqualTo("1.0.0");
    assertThat(customer.getPageSource()).contains("docker pull " + turnstile.host() + "/vendor/app:1.0.0")
        .contains("helm pull oci://" + turnstile.host() + "/charts/app --version 1.0.0").contains("imagePullSecrets")
        .doesNotContain(key);
    waitFor(customer, Duration.ofSeconds(5)).until(d -> id(d, "live-status").getText().startsWith("Live"));
    screen(customer, "portal-licenses");
    customer.manage().window().setSize(new org.openqa.selenium.Dimension(390, 844));
    screen(customer, "portal-licenses-phone");
    customer.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 1000));
  }

  @Test
  @Order(6)
  void grantInTheConsole_showsInTheOpenPortalWithinOneSecond_andPulls() throws Exception {
    vendor.get(console("/licenses/" + licenseId));
    vendor.findElement(By.cssSelector("input[name='version'][value='1.1.0']")).click();
    id(vendor, "grant").click();
    long granted = System.nanoTime();
    waitFor(customer, LIVE).until(d -> d.findElement(By.cssSelector("[data-role=versions]")).getText().contains("1.1.0"));
    assertThat(Duration.ofNanos(System.nanoTime() - granted)).isLessThan(LIVE);
    assertThat(vendor.findElement(By.cssSelector(".notice")).getText()).contains("Granted 1.1.0");
    screen(vendor, "console-license");
    docker("pull", turnstile.host() + "/vendor/app:1.1.0");
  }

  @Test
  @Order(7)
  void grantARangeInTheConsole_showsInTheOpenPortal_withTheVersionsItGrants() throws Exception {
    vendor.get(console("/licenses/" + licenseId));
    id(vendor, "range").sendKeys("1.x");
    id(vendor, "grant-range").click();
    long granted = System.nanoTime();
    waitFor(customer, LIVE).until(d -> d.findElement(By.cssSelector("[data-role=versions]")).getText().contains("1.x (range)"));
    assertThat(Duration.ofNanos(System.nanoTime() - granted)).isLessThan(LIVE);
    assertThat(vendor.findElement(By.cssSelector(".notice")).getText()).contains("Granted range 1.x");
    assertThat(id(vendor, "granted").findElement(By.cssSelector("li[data-kind=range]")).getText()).contains("1.x")
        .contains("range");
    screen(vendor, "console-license-range");
    // The upstream's tags are listed in the background; the open page follows when they come.
    WebElement range = waitFor(customer, Duration.ofSeconds(5))
        .until(d -> d.findElement(By.cssSelector("[data-range='1.x'] details[data-version='1.1.0']")));
    assertThat(range.getText()).contains("Version 1.1.0");
    String covered = customer.findElement(By.cssSelector("[data-range='1.x']")).getAttribute("textContent");
    assertThat(covered).contains("docker pull " + turnstile.host() + "/vendor/app:1.1.0")
        .contains("docker pull " + turnstile.host() + "/vendor/app:1.0.0").doesNotContain("vendor/app:2.0.0");
    screen(customer, "portal-licenses-range");
  }

  @Test
  @Order(8)
  void aFormWithoutItsCsrfToken_isRefused() {
    vendor.get(console("/licenses/" + licenseId));
    ((JavascriptExecutor) vendor).executeScript(
        "document.querySelectorAll('input[name=csrf]').forEach(e => e.remove())");
    submit(vendor, id(vendor, "set-expiry"));
    assertThat(vendor.getPageSource()).contains("form refused");
    JsonNode license = turnstile.cli("license", "show", licenseId);
    assertThat(license.get("expiresAt").asText()).startsWith("2099-01-31");
  }

  @Test
  @Order(9)
  void namesRenderAsText() {
    vendor.get(console("/customers"));
    id(vendor, "name").sendKeys("<script>alert(1)</script>");
    submit(vendor, id(vendor, "create-customer"));
    assertThat(vendor.findElement(By.tagName("h1")).getText()).isEqualTo("<script>alert(1)</script>");
    assertNoAlert(vendor);
    vendor.get(console("/customers"));
    assertThat(vendor.findElement(By.tagName("table")).getText()).contains("<script>alert(1)</script>");
    assertNoAlert(vendor);
  }

  private static void assertNoAlert(WebDriver d) {
    try {
      d.switchTo().alert();
      throw new AssertionError("a script from a name ran");
    } catch (NoAlertPresentException expected) {
      // the name stayed text
    }
  }

  @Test
  @Order(10)
  void rotatingTheKey_endsThePortalSessionAtOnce() throws Exception {
    vendor.get(console("/licenses/" + licenseId));
    id(vendor, "rotate-key").click();
    vendor.switchTo().alert().accept();
    long rotated = System.nanoTime();
    waitFor(customer, LIVE).until(d -> !d.findElements(By.id("session-ended")).isEmpty());
    assertThat(Duration.ofNanos(System.nanoTime() - rotated)).isLessThan(LIVE.plusMillis(500));
    assertThat(id(customer, "session-ended").getText()).contains("rotated");
    key = waitFor(vendor, Duration.ofSeconds(5)).until(d -> id(d, "issued-key")).getText();
    customer.navigate().refresh();
    assertThat(customer.getCurrentUrl()).endsWith("/portal/sign-in");
    id(customer, "username").sendKeys(licenseId);
    id(customer, "key").sendKeys(key);
    submit(customer, id(customer, "sign-in"));
    // The page's live stream may replace the versions as they are read: look again until they show.
    String versions = waitFor(customer, Duration.ofSeconds(5))
        .until(d -> d.findElement(By.cssSelector("[data-role=versions]")).getText());
    assertThat(versions).contains("1.1.0");
    waitFor(customer, Duration.ofSeconds(5)).until(d -> id(d, "live-status").getText().startsWith("Live"));
    dockerLogin(licenseId, key);
  }

  @Test
  @Order(11)
  void revokingTheLicense_showsInThePortalWithinOneSecond_andPullsFail() throws Exception {
    docker("rmi", turnstile.host() + "/vendor/app:1.1.0");
    vendor.get(console("/licenses/" + licenseId));
    id(vendor, "revoke-license").click();
    vendor.switchTo().alert().accept();
    long revoked = System.nanoTime();
    waitFor(customer, LIVE).until(d -> d.findElement(By.cssSelector("[data-role=state]")).getText().equals("revoked"));
    assertThat(Duration.ofNanos(System.nanoTime() - revoked)).isLessThan(LIVE.plusMillis(500));
    waitFor(customer, LIVE).until(d -> !d.findElements(By.id("session-ended")).isEmpty());
    screen(customer, "portal-license-revoked");
    Proc.Result pull = daemons.docker("pull", turnstile.host() + "/vendor/app:1.1.0");
    assertThat(pull.exit()).isNotZero();
    assertThat(waitFor(vendor, Duration.ofSeconds(5)).until(d -> id(d, "license-state")).getText()).isEqualTo("revoked");
  }

  @Test
  @Order(12)
  void licenseList_filtersAndSignOut() throws Exception {
    vendor.get(console("/licenses"));
    new Select(id(vendor, "f-state")).selectByValue("revoked");
    submit(vendor, vendor.findElement(By.cssSelector("form.filters button")));
    assertThat(vendor.findElement(By.tagName("table")).getText()).contains("Production");
    screen(vendor, "console-licenses");
    submit(vendor, id(vendor, "sign-out"));
    assertThat(vendor.getCurrentUrl()).endsWith("/console/sign-in");
    vendor.get(console("/licenses"));
    assertThat(vendor.getCurrentUrl()).as("signed out").endsWith("/console/sign-in");
  }
}
