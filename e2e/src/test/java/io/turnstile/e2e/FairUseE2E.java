package io.turnstile.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.turnstile.testkit.Distribution;
import io.turnstile.testkit.Proc;
import io.turnstile.testkit.Seeder;
import io.turnstile.testkit.TurnstileProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
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
import org.openqa.selenium.WebDriver;

/**
 * Fair-use limits with real clients: docker shows the 429 refusal's words once a license's
 * enforced limit is used up, and the vendor console and the customer portal, in headless Chromium,
 * show the license's use against its limits (checked with axe-core, saved as screenshots).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FairUseE2E {

  private Path dir;
  private Distribution upstream;
  private Daemons daemons;
  private TurnstileProcess turnstile;
  private WebDriver browser;
  private String licenseId;
  private String key;

  @BeforeAll
  void start() throws Exception {
    dir = Files.createTempDirectory("turnstile-fairuse-e2e");
    upstream = Distribution.basic(dir.resolve("upstream"), dir.resolve("storage"),
        Map.of("vendor", "vendor-secret")).start();
    new Seeder(upstream.url(), "vendor", "vendor-secret").seedAll();
    daemons = new Daemons(dir.resolve("daemons")).start();
    turnstile = new TurnstileProcess(dir.resolve("turnstile"))
        .appLimits("{manifestPullsPerDay: {limit: 1000}, blobBytesPerMonth: {limit: 50GiB, mode: watch}}")
        .start(upstream.url(), "vendor", "vendor-secret");
    String customer = turnstile.cli("customer", "create", "--name", "Acme").get("id").asText();
    JsonNode l = turnstile.cli("license", "create", "--customer", customer, "--application", "app",
        "--version", "1.0.0", "--version", "1.1.0");
    licenseId = l.get("id").asText();
    key = l.get("key").asText();
    browser = Browser.chromium();
  }

  @AfterAll
  void stop() {
    if (browser != null) browser.quit();
    if (turnstile != null) turnstile.close();
    if (daemons != null) daemons.close();
    if (upstream != null) upstream.close();
  }

  /** The license's use of {@code limit} as the CLI shows it. */
  private long used(String limit) {
    for (JsonNode l : turnstile.cli("license", "usage", licenseId).get("limits")) {
      if (l.get("limit").asText().equals(limit)) {
        return l.get("used").asLong();
      }
    }
    throw new AssertionError("no " + limit + " for " + licenseId);
  }

  /** Waits, up to {@link Browser#PATIENCE}, until the license's use of {@code limit} satisfies {@code until}. */
  private long awaitUsed(String limit, Predicate<Long> until) throws InterruptedException {
    long end = System.nanoTime() + Browser.PATIENCE.toNanos();
    long seen = used(limit);
    while (!until.test(seen)) {
      assertThat(System.nanoTime()).as(limit + " to be counted; last seen " + seen).isLessThan(end);
      Thread.sleep(100);
      seen = used(limit);
    }
    return seen;
  }

  @Test
  @Order(1)
  void docker_showsTheRefusal_namingTheLicenseTheLimitAndTheReset() throws Exception {
    Proc.Result login = daemons.dockerWithInput(key, "login", "-u", licenseId, "--password-stdin", turnstile.host());
    assertThat(login.exit()).as(login.all()).isZero();
    Proc.Result first = daemons.docker("pull", turnstile.host() + "/vendor/app:1.0.0");
    assertThat(first.exit()).as(first.all()).isZero();
    long pulled = awaitUsed("manifestPullsPerDay", n -> n >= 1);
    awaitUsed("blobBytesPerMonth", n -> n > 0);

    // The license's own limit, just what it has used: the next pull is refused.
    turnstile.cli("license", "limit", licenseId, "manifestPullsPerDay", Long.toString(pulled));
    Proc.Result refused = daemons.docker("pull", turnstile.host() + "/vendor/app:1.1.0");
    assertThat(refused.exit()).as(refused.all()).isNotZero();
    LocalDate today = LocalDate.now(ZoneOffset.UTC);
    assertThat(refused.all()).contains("toomanyrequests")
        .contains("license " + licenseId + " has made its " + pulled + " manifest pulls for " + today
            + "; it resets on " + today.plusDays(1));
  }

  @Test
  @Order(2)
  void theConsole_showsTheLicensesUseAgainstItsLimits() throws Exception {
    browser.get(turnstile.adminUrl() + "/console/sign-in");
    browser.findElement(By.id("token")).sendKeys(TurnstileProcess.ADMIN_TOKEN);
    submit(By.cssSelector("form[action='/console/sign-in'] button[type=submit]"));
    browser.get(turnstile.adminUrl() + "/console/licenses/" + licenseId);
    String pulls = text(By.cssSelector("#usage tr[data-limit=manifestPullsPerDay]"), t -> t.contains("this license"));
    assertThat(pulls).contains("manifest pulls per day", "enforce");
    String bytes = text(By.cssSelector("#usage tr[data-limit=blobBytesPerMonth]"), t -> t.contains("50 GiB"));
    assertThat(bytes).contains("blob bytes per month", "watch", "the application");
    screen("console-fair-use");
  }

  @Test
  @Order(3)
  void thePortal_showsTheCustomerTheirOwnUse() throws Exception {
    browser.get(turnstile.url() + "/portal/sign-in");
    browser.findElement(By.id("username")).sendKeys(licenseId);
    browser.findElement(By.id("key")).sendKeys(key);
    submit(By.id("sign-in"));
    String bytes = text(By.cssSelector("#usage tr[data-limit='blob bytes per month']"), t -> t.contains("50 GiB"));
    assertThat(bytes).contains(licenseId, "(watched)");
    String pulls = text(By.cssSelector("#usage tr[data-limit='manifest pulls per day']"), t -> !t.isBlank());
    assertThat(pulls).contains(LocalDate.now(ZoneOffset.UTC).plusDays(1).toString());
    assertThat(browser.getPageSource()).doesNotContain(key);
    screen("portal-fair-use");
  }

  /** The text of what {@code by} finds once {@code until} holds for it; see {@link Browser#look}. */
  private String text(By by, Predicate<String> until) {
    return Browser.text(browser, by, until);
  }

  /** Clicks what {@code by} finds, a form's button, and waits until the next page has loaded whole. */
  private void submit(By by) {
    Browser.submit(browser, by);
  }

  /** Saves the screen as {name}.png and checks it with axe-core; see {@link Browser#screen}. */
  private void screen(String name) throws Exception {
    Browser.screen(browser, name);
  }

}
