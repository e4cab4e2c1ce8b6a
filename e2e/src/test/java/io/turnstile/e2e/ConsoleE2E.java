package io.turnstile.e2e;

import static io.turnstile.e2e.Browser.PATIENCE;
import static io.turnstile.e2e.Browser.confirm;
import static io.turnstile.e2e.Browser.look;
import static io.turnstile.e2e.Browser.read;
import static io.turnstile.e2e.Browser.screen;
import static io.turnstile.e2e.Browser.submit;
import static io.turnstile.e2e.Browser.text;
import static io.turnstile.e2e.Browser.value;
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
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
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
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

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
  /** The README's promise: an edit in the console shows in the open portal within a second. */
  private static final Duration LIVE = Duration.ofSeconds(1);
  private static final By VERSIONS = By.cssSelector("[data-role=versions]");

  private Path dir;
  private Distribution upstream;
  private Daemons daemons;
  private TurnstileProcess turnstile;
  private WebDriver vendor;
  private WebDriver customer;
  private final ObjectMapper json = new ObjectMapper();
  private String customerId;
  private String licenseId;
  private String key;

  @BeforeAll
  void start() throws Exception {
    dir = Files.createTempDirectory("turnstile-console-e2e");
    upstream = Distribution.basic(dir.resolve("upstream"), dir.resolve("storage"),
        Map.of("vendor", "vendor-secret")).start();
    new Seeder(upstream.url(), "vendor", "vendor-secret").seedAll();
    daemons = new Daemons(dir.resolve("daemons")).start();
    turnstile = new TurnstileProcess(dir.resolve("turnstile")).start(upstream.url(), "vendor", "vendor-secret");
    vendor = Browser.chromium();
    customer = Browser.chromium();
  }

  @AfterAll
  void stop() {
    if (vendor != null) vendor.quit();
    if (customer != null) customer.quit();
    if (turnstile != null) turnstile.close();
    if (daemons != null) daemons.close();
    if (upstream != null) upstream.close();
  }

  private String console(String path) {
    return turnstile.adminUrl() + "/console" + path;
  }

  private String portal(String path) {
    return turnstile.url() + "/portal" + path;
  }

  private static WebElement id(WebDriver d, String id) {
    return d.findElement(By.id(id));
  }

  /**
   * When the open portal page applied the live update that made what {@code css} finds in its
   * licenses satisfy {@code until}, in epoch milliseconds; waits for it up to {@link Browser#PATIENCE}.
   * portal.js stamps the licenses with {@code Date.now()} as it applies each update; the text and
   * the stamp are read in one script, so they belong to the same update.
   */
  private static long shownAt(WebDriver d, String css, Predicate<String> until) {
    List<?> shown = look(d, css + " in the open portal to follow the edit", x -> (List<?>) ((JavascriptExecutor) x)
        .executeScript("""
            const licenses = document.getElementById('licenses');
            const shown = licenses && licenses.querySelector(arguments[0]);
            return shown ? [shown.innerText, licenses.dataset.updated || ''] : null;
            """, css), s -> until.test(String.valueOf(s.get(0))));
    assertThat(String.valueOf(shown.get(1))).as("a live update brought " + css).isNotEmpty();
    return Long.parseLong(String.valueOf(shown.get(1)));
  }

  /**
   * From now on, the open page notes the moment an element with id {@code id} first appears; read
   * it with {@link #appearedAt}. For what the page adds outside its licenses (the banner of an ended
   * session), which carry no stamp of their own.
   */
  private static void noteWhenAdded(WebDriver d, String id) {
    noteWhenShown(d, id, "#" + id, null);
  }

  /**
   * From now on, the open page notes, under {@code key}, the moment an element matching {@code css}
   * first shows {@code text} (or first appears, for null); read it with {@link #appearedAt}. For what
   * the page may show only for a moment, such as a revoked license's state just before the ended
   * session takes the licenses off the page.
   */
  private static void noteWhenShown(WebDriver d, String key, String css, String text) {
    ((JavascriptExecutor) d).executeScript("""
        const [key, css, text] = arguments;
        window.turnstileAdded = window.turnstileAdded || {};
        new MutationObserver((changes, observer) => {
          const shown = document.querySelector(css);
          if (shown && (text === null || shown.innerText.trim() === text)) {
            window.turnstileAdded[key] = Date.now();
            observer.disconnect();
          }
        }).observe(document.body, {childList: true, subtree: true, characterData: true});
        """, key, css, text);
  }

  /** When what {@link #noteWhenShown} watches for showed, in epoch milliseconds; waits for it. */
  private static long appearedAt(WebDriver d, String key) {
    Object at = look(d, key + " to show in the open portal", x -> ((JavascriptExecutor) x).executeScript(
        "return (window.turnstileAdded || {})[arguments[0]] || null", key), v -> true);
    return ((Number) at).longValue();
  }

  /**
   * The README's promise: an edit made in the console shows in the open portal within {@link #LIVE}.
   * Measured from {@code madeAt}, just before the click (or the answer to the question) that makes
   * the edit, to the moment the portal page applied it. That start counts the console's own request
   * up to the commit as well, so the figure can only overstate the delay, never flatter it; a start
   * after the click has returned could come after the portal had already been told.
   */
  private static void assertLive(String what, long madeAt, long shownAt) {
    long ms = shownAt - madeAt;
    System.out.printf("ConsoleE2E: %s showed in the open portal %d ms after it was made%n", what, ms);
    assertThat(Duration.ofMillis(ms)).as("%s showed in the open portal %d ms after it was made", what, ms)
        .isLessThan(LIVE);
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
    By signIn = By.cssSelector("form[action='/console/sign-in'] button[type=submit]");
    id(vendor, "token").sendKeys("not-the-token");
    submit(vendor, signIn);
    assertThat(text(vendor, By.cssSelector(".error"))).contains("not the admin token");
    id(vendor, "token").sendKeys(TurnstileProcess.ADMIN_TOKEN);
    submit(vendor, signIn);
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
    submit(vendor, By.id("create-customer"));
    customerId = text(vendor, By.id("customer-id"));
    assertThat(customerId).startsWith("cus_");
    assertThat(text(vendor, By.tagName("h1"))).isEqualTo("Acme Corp");
    screen(vendor, "console-customer");
    vendor.get(console("/customers"));
    screen(vendor, "console-customers");
  }

  @Test
  @Order(3)
  void console_createLicense_throughTheGuidesSteps_showsTheKeyOnce() throws Exception {
    vendor.get(console("/customers/" + customerId));
    submit(vendor, By.id("new-license"));
    // 1. a name
    id(vendor, "name").sendKeys("Production");
    // 2. an expiration date, through the date picker's input
    ((JavascriptExecutor) vendor).executeScript("arguments[0].value = '2099-01-31'", id(vendor, "expiresAt"));
    // 3. the application
    new Select(id(vendor, "application")).selectByValue("app");
    // 4. the versions, as found at the upstream
    By offered = By.cssSelector("input[name='version.app']");
    List<String> versions = look(vendor, "the versions of app offered", x -> x.findElements(offered).stream()
        .map(e -> e.getDomProperty("value")).toList(), v -> !v.isEmpty());
    assertThat(versions).contains("1.0.0", "1.1.0", "2.0.0");
    vendor.findElement(By.cssSelector("input[name='version.app'][value='1.0.0']")).click();
    // 5. the customer
    assertThat(value(vendor, By.id("customerId"))).isEqualTo(customerId);
    screen(vendor, "console-create-license");
    // 6. save
    submit(vendor, By.id("save-license"));
    licenseId = text(vendor, By.id("license-id"));
    key = text(vendor, By.id("issued-key"));
    assertThat(key).startsWith("tsk_");
    assertThat(text(vendor, By.id("issued-login"))).contains("docker login " + turnstile.host() + " -u " + licenseId);
    assertThat(vendor.findElements(By.cssSelector("button.copy"))).isNotEmpty();
    screen(vendor, "console-license-created");
    // refresh() returns once the page has loaded again.
    vendor.navigate().refresh();
    assertThat(vendor.getPageSource()).as("the key is shown once").doesNotContain(key);
    assertThat(text(vendor, By.id("granted"))).contains("1.0.0");
  }

  @Test
  @Order(4)
  void docker_pullsTheGrantedVersion_withTheKeyShownOnce_andTheConsoleListsThePullWithItsTag() {
    dockerLogin(licenseId, key);
    docker("pull", turnstile.host() + "/vendor/app:1.0.0");
    // Written at once, not when the pull's window closes: a reload or two finds it.
    String pulls = look(vendor, "docker's pull among the license's recent pulls", x -> {
      x.get(console("/licenses/" + licenseId));
      return x.findElement(By.id("recent-pulls")).getText();
    }, t -> t.contains("vendor/app") && !t.contains("No pulls recorded."));
    assertThat(text(vendor, By.cssSelector("#recent-pulls thead"))).contains("Tag").contains("Version");
    assertThat(pulls).as("one row, with the tag docker asked for").contains("1.0.0").contains("docker");
    assertThat(vendor.findElements(By.cssSelector("#recent-pulls tbody tr"))).hasSize(1);
  }

  @Test
  @Order(5)
  void portal_signIn_wrongKeyIsRefused_thenTheKeyShowsTheVersionAndCommands() throws Exception {
    customer.get(portal("/"));
    assertThat(customer.getCurrentUrl()).endsWith("/portal/sign-in");
    screen(customer, "portal-sign-in");
    id(customer, "username").sendKeys(licenseId);
    id(customer, "key").sendKeys("tsk_wrong");
    submit(customer, By.id("sign-in"));
    assertThat(text(customer, By.cssSelector(".error"))).contains("Wrong");
    customer.get(portal("/"));
    assertThat(customer.getCurrentUrl()).as("no session").endsWith("/portal/sign-in");
    id(customer, "username").sendKeys(licenseId);
    id(customer, "key").sendKeys(key);
    submit(customer, By.id("sign-in"));
    assertThat(customer.getCurrentUrl()).endsWith("/portal/");
    assertThat(text(customer, VERSIONS)).isEqualTo("1.0.0");
    // charts/app has no 1.0.0 at the upstream (its charts are 0.1.0 and 0.2.0): once the page has
    // listed the upstream's tags, it says so instead of offering a command that cannot work.
    assertThat(text(customer, By.cssSelector("[data-version='1.0.0'] [data-not-released='charts/app']")))
        .contains("not released in this repository");
    assertThat(customer.getPageSource()).contains("docker pull " + turnstile.host() + "/vendor/app:1.0.0")
        .doesNotContain("helm pull oci://" + turnstile.host() + "/charts/app --version 1.0.0").contains("imagePullSecrets")
        .doesNotContain(key);
    text(customer, By.id("live-status"), t -> t.startsWith("Live"));
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
    long granted = submit(vendor, By.id("grant"));
    assertLive("the grant of 1.1.0", granted, shownAt(customer, "[data-role=versions]", v -> v.contains("1.1.0")));
    assertThat(text(vendor, By.cssSelector(".notice"))).contains("Granted 1.1.0");
    screen(vendor, "console-license");
    docker("pull", turnstile.host() + "/vendor/app:1.1.0");
  }

  @Test
  @Order(7)
  void grantARangeInTheConsole_showsInTheOpenPortal_withTheVersionsItGrants() throws Exception {
    vendor.get(console("/licenses/" + licenseId));
    id(vendor, "range").sendKeys("1.x");
    long granted = submit(vendor, By.id("grant-range"));
    assertLive("the grant of the range 1.x", granted,
        shownAt(customer, "[data-role=versions]", v -> v.contains("1.x (range)")));
    assertThat(text(vendor, By.cssSelector(".notice"))).contains("Granted range 1.x");
    assertThat(text(vendor, By.cssSelector("#granted li[data-kind=range]"))).contains("1.x").contains("range");
    screen(vendor, "console-license-range");
    // The upstream's tags are listed in the background; the open page follows when they come.
    assertThat(text(customer, By.cssSelector("[data-range='1.x'] details[data-version='1.1.0']")))
        .contains("Version 1.1.0");
    String covered = read(customer, By.cssSelector("[data-range='1.x']"), e -> e.getDomProperty("textContent"));
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
    submit(vendor, By.id("set-expiry"));
    assertThat(vendor.getPageSource()).contains("form refused");
    JsonNode license = turnstile.cli("license", "show", licenseId);
    assertThat(license.get("expiresAt").asText()).startsWith("2099-01-31");
  }

  @Test
  @Order(9)
  void namesRenderAsText() {
    vendor.get(console("/customers"));
    id(vendor, "name").sendKeys("<script>alert(1)</script>");
    submit(vendor, By.id("create-customer"));
    assertThat(text(vendor, By.tagName("h1"))).isEqualTo("<script>alert(1)</script>");
    assertNoAlert(vendor);
    vendor.get(console("/customers"));
    assertThat(text(vendor, By.tagName("table"))).contains("<script>alert(1)</script>");
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
  @Order(9)
  void portal_pullToken_madeThere_logsDockerInAndPulls_untilRevokedThere() throws Exception {
    customer.get(portal("/"));
    id(customer, "token-name-" + licenseId).sendKeys("ci-e2e");
    submit(customer, By.id("create-token-" + licenseId));
    String secret = text(customer, By.id("issued-secret"));
    assertThat(secret).startsWith("tpt_");
    assertThat(text(customer, By.id("issued-login"))).contains("docker login " + turnstile.host() + " -u " + licenseId);
    screen(customer, "portal-pull-tokens");
    // 1.1.0, the version docker pulled last so far: the fleet page's checks below stay as they were.
    docker("rmi", turnstile.host() + "/vendor/app:1.1.0");
    dockerLogin(licenseId, secret);
    docker("pull", turnstile.host() + "/vendor/app:1.1.0");

    customer.get(portal("/"));
    assertThat(customer.getPageSource()).as("shown once").doesNotContain(secret);
    confirm(customer, By.cssSelector("button[aria-label='Revoke ci-e2e']"), "Revoke pull token ci-e2e?");
    assertThat(text(customer, By.cssSelector(".notice"))).contains("revoked");
    Proc.Result refused = daemons.docker("pull", turnstile.host() + "/vendor/app:1.1.0");
    assertThat(refused.exit()).as(refused.all()).isNotZero();
    dockerLogin(licenseId, key);
    // Back on the plain page (the forms answered with #pull-tokens), following the vendor's edits.
    customer.get(portal("/"));
    text(customer, By.id("live-status"), t -> t.startsWith("Live"));
  }

  @Test
  @Order(10)
  void rotatingTheKey_endsThePortalSessionAtOnce() throws Exception {
    vendor.get(console("/licenses/" + licenseId));
    noteWhenAdded(customer, "session-ended");
    long rotated = confirm(vendor, By.id("rotate-key"), "Rotate the key?");
    assertLive("the end of the session", rotated, appearedAt(customer, "session-ended"));
    assertThat(text(customer, By.id("session-ended"))).contains("rotated");
    key = text(vendor, By.id("issued-key"));
    // refresh() returns once the page it was sent to, the sign-in form, has loaded.
    customer.navigate().refresh();
    assertThat(customer.getCurrentUrl()).endsWith("/portal/sign-in");
    id(customer, "username").sendKeys(licenseId);
    id(customer, "key").sendKeys(key);
    submit(customer, By.id("sign-in"));
    assertThat(text(customer, VERSIONS)).contains("1.1.0");
    text(customer, By.id("live-status"), t -> t.startsWith("Live"));
    dockerLogin(licenseId, key);
  }

  @Test
  @Order(11)
  void revokingTheLicense_showsInThePortalWithinOneSecond_andPullsFail() throws Exception {
    docker("rmi", turnstile.host() + "/vendor/app:1.1.0");
    vendor.get(console("/licenses/" + licenseId));
    noteWhenShown(customer, "revoked", "#licenses [data-role=state]", "revoked");
    noteWhenAdded(customer, "session-ended");
    long revoked = confirm(vendor, By.id("revoke-license"), "Revoke this license?");
    assertLive("the revocation", revoked, appearedAt(customer, "revoked"));
    appearedAt(customer, "session-ended");
    // The ended session takes the licenses off the page: nothing is left under the banner.
    look(customer, "the licenses to leave the page", x -> x.findElements(By.cssSelector("#licenses [data-role=state]")),
        List::isEmpty);
    assertThat(text(customer, By.id("licenses"))).contains("Sign in again");
    screen(customer, "portal-license-revoked");
    Proc.Result pull = daemons.docker("pull", turnstile.host() + "/vendor/app:1.1.0");
    assertThat(pull.exit()).isNotZero();
    assertThat(text(vendor, By.id("license-state"))).isEqualTo("revoked");
  }

  @Test
  @Order(12)
  void fleetPage_showsTheVersionDockerPulledLast_itsAdoptionChart_andTheEndOfLifePull() throws Exception {
    // Docker pulled 1.0.0, then 1.1.0, with the Production license; a pull is recorded a moment
    // after its answer, so the page is loaded again until it shows.
    By row = By.cssSelector("#fleet-versions tr[data-license='" + licenseId + "']");
    look(vendor, "the license's row in the versions matrix", x -> {
      x.get(console("/fleet?application=app"));
      List<WebElement> rows = x.findElements(row);
      return rows.isEmpty() ? null : rows.get(0).getDomAttribute("data-version");
    }, "1.1.0"::equals);
    assertThat(text(vendor, row)).contains("Acme Corp").contains("Production").contains("1 address")
        .contains("last pulled");
    assertThat(text(vendor, By.cssSelector("#fleet-versions tr[data-license='" + licenseId + "'] td.last")))
        .as("the last version's cell").contains("last pulled");
    String last = read(vendor, By.cssSelector("#fleet-versions tr[data-license='" + licenseId + "'] td.last"),
        e -> e.getDomAttribute("data-version"));
    assertThat(last).isEqualTo("1.1.0");
    assertThat(text(vendor, By.cssSelector("#fleet-versions thead"))).contains("1.0.0 (end of life)").contains("1.1.0");
    // The chart is drawn by uPlot from the table's numbers: a canvas, and one line per version.
    int width = read(vendor, By.cssSelector("#adoption-chart canvas"), e -> e.getSize().getWidth());
    assertThat(width).isPositive();
    String lines = read(vendor, By.id("adoption-chart"), e -> e.getDomAttribute("data-drawn"));
    assertThat(lines).isEqualTo("2");
    String today = java.time.LocalDate.now(java.time.ZoneOffset.UTC).toString();
    List<String> todays = read(vendor, By.xpath("//table[@id='adoption-table']/tbody/tr[th='" + today + "']/td"),
        e -> e.findElements(By.xpath("../td")).stream().map(td -> td.getDomProperty("textContent")).toList());
    assertThat(todays).as("one license pulled each version today").containsExactly("1", "1");
    assertThat(text(vendor, By.cssSelector("#fleet-attention tr[data-reason=endOfLife]")))
        .contains("Acme Corp").contains("1.0.0");
    screen(vendor, "console-fleet");
    // The chart's numbers, one click away.
    read(vendor, By.cssSelector("#adoption-numbers summary"), e -> {
      e.click();
      return e;
    });
    look(vendor, "the adoption table to open", x -> x.findElement(By.id("adoption-table")).isDisplayed(), v -> v);
  }

  @Test
  @Order(13)
  void licenseList_filtersAndSignOut() throws Exception {
    vendor.get(console("/licenses"));
    new Select(id(vendor, "f-state")).selectByValue("revoked");
    submit(vendor, By.cssSelector("form.filters button"));
    assertThat(text(vendor, By.tagName("table"))).contains("Production");
    screen(vendor, "console-licenses");
    submit(vendor, By.id("sign-out"));
    assertThat(vendor.getCurrentUrl()).endsWith("/console/sign-in");
    vendor.get(console("/licenses"));
    assertThat(vendor.getCurrentUrl()).as("signed out").endsWith("/console/sign-in");
  }

  @Test
  @Order(13)
  void apiTokenPage_makesATokenShownOnce_thatDrivesTheCli_untilRevokedThere() throws Exception {
    vendor.get(console("/sign-in"));
    id(vendor, "token").sendKeys(TurnstileProcess.ADMIN_TOKEN);
    submit(vendor, By.cssSelector("form[action='/console/sign-in'] button[type=submit]"));
    vendor.get(console("/api-tokens"));
    id(vendor, "token-name").sendKeys("billing-sync");
    new Select(id(vendor, "token-role")).selectByValue("editor");
    ((JavascriptExecutor) vendor).executeScript("arguments[0].value = '2099-01-31'", id(vendor, "token-expires"));
    submit(vendor, By.id("create-token"));
    String token = text(vendor, By.id("issued-token"));
    assertThat(token).startsWith("tsa_");
    screen(vendor, "console-api-tokens");

    Proc.Result made = turnstile.cliRaw(null, Map.of("TURNSTILE_ADMIN_TOKEN", token), "customer", "create",
        "--name", "Initech");
    assertThat(made.exit()).as(made.all()).isZero();
    String initech = json.readTree(made.out()).get("id").asText();
    vendor.get(console("/activity?customerId=" + initech));
    assertThat(text(vendor, By.id("activity"))).contains("customer.created")
        .contains("api-token:billing-sync (admin-token)");
    screen(vendor, "console-activity");

    vendor.get(console("/api-tokens"));
    assertThat(vendor.getPageSource()).as("shown once").doesNotContain(token);
    confirm(vendor, By.cssSelector("button[aria-label='Revoke token billing-sync']"), "Revoke billing-sync?");
    assertThat(text(vendor, By.id("api-tokens"))).contains("revoked");
    Proc.Result refused = turnstile.cliRaw(null, Map.of("TURNSTILE_ADMIN_TOKEN", token), "customer", "list");
    assertThat(refused.exit()).isNotZero();
    assertThat(refused.err()).contains("unauthorized");
  }
}
