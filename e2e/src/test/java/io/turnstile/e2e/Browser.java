package io.turnstile.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.turnstile.testkit.Proc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Predicate;
import org.openqa.selenium.Alert;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoSuchElementException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Headless Chromium for the browser tests (Debian's chromium and chromium-driver, driven by
 * Selenium), and the reads every browser test makes through it: each waits for its condition
 * within {@link #PATIENCE}, never for a fixed time, and its failure names what was awaited.
 */
final class Browser {
  /**
   * How long a read waits for the page to show what it expects. Generous, for a loaded machine: a
   * read that succeeds returns at once.
   */
  static final Duration PATIENCE = Duration.ofSeconds(30);

  private Browser() {}

  /** A new headless Chromium at 1280×1000, in English; {@code quit()} it after use. */
  static WebDriver chromium() {
    String chromium = Proc.require("chromium");
    String driver = Proc.require("chromedriver");
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

  /**
   * What {@code look} sees on the page once {@code until} holds for it; every read goes through
   * here. A live page (the portal) replaces its content whenever an update arrives, so an element
   * found a moment ago may be gone when it is read: each look finds afresh, and a look that meets a
   * stale or missing element looks again, until {@link #PATIENCE} has passed. The failure names what
   * was awaited, the last thing seen and the page's address.
   */
  static <T> T look(WebDriver d, String what, Function<WebDriver, T> look, Predicate<T> until) {
    AtomicReference<Object> last = new AtomicReference<>("nothing");
    try {
      return waitFor(d, PATIENCE).until(x -> {
        T seen = look.apply(x);
        last.set(seen);
        return seen != null && until.test(seen) ? seen : null;
      });
    } catch (TimeoutException e) {
      throw new AssertionError("waited " + PATIENCE.toSeconds() + " s for " + what + " at " + d.getCurrentUrl()
          + "; last seen: " + last.get(), e);
    }
  }

  /** {@code read} of the element {@code by} finds, once there is one; see {@link #look}. */
  static <T> T read(WebDriver d, By by, Function<WebElement, T> read) {
    return look(d, by.toString(), x -> read.apply(x.findElement(by)), v -> true);
  }

  /** The element {@code by} finds, once there is one; see {@link #look}. */
  static WebElement element(WebDriver d, By by) {
    return read(d, by, e -> e);
  }

  /** The text of the element {@code by} finds; see {@link #look}. */
  static String text(WebDriver d, By by) {
    return read(d, by, WebElement::getText);
  }

  /** The text of the element {@code by} finds, once {@code until} holds for it; see {@link #look}. */
  static String text(WebDriver d, By by, Predicate<String> until) {
    return look(d, by + " to satisfy the test's condition", x -> x.findElement(by).getText(), until);
  }

  /** The {@code value} of the form field {@code by} finds; see {@link #look}. */
  static String value(WebDriver d, By by) {
    return read(d, by, e -> e.getDomProperty("value"));
  }

  /**
   * Clicks what {@code by} finds, a form's button or a link that leaves the page, and waits for the
   * next page: the click returns before the browser has left the page it was on, so a read right
   * after it could see the old page.
   *
   * @return the wall-clock time just before the click, in epoch milliseconds: when the change the
   *     click makes was made, as the browsers' {@code Date.now()} counts (one machine, one clock)
   */
  static long submit(WebDriver d, By by) {
    WebElement button = element(d, by);
    leaving(d);
    long at = System.currentTimeMillis();
    button.click();
    arrived(d);
    return at;
  }

  /**
   * Clicks what {@code by} finds, a button whose form asks first ({@code data-confirm}), checks the
   * question, accepts it and waits for the next page. The question is a dialog that blocks the page:
   * a script run while it is open would dismiss it (WebDriver's default), so nothing touches the page
   * between the click and the answer.
   *
   * @return the wall-clock time just before the answer, in epoch milliseconds: the form is sent,
   *     and the change made, only once the question is answered
   */
  static long confirm(WebDriver d, By by, String question) {
    WebElement button = element(d, by);
    leaving(d);
    button.click();
    Alert dialog = new WebDriverWait(d, PATIENCE).until(ExpectedConditions.alertIsPresent());
    assertThat(dialog.getText()).contains(question);
    long at = System.currentTimeMillis();
    dialog.accept();
    arrived(d);
    return at;
  }

  /** Marks the page about to be left; the next page, once loaded, has no mark. */
  static void leaving(WebDriver d) {
    ((JavascriptExecutor) d).executeScript("window.turnstileLeaving = true");
  }

  /** Waits until the page marked by {@link #leaving} has been replaced by one loaded whole. */
  static void arrived(WebDriver d) {
    try {
      waitFor(d, PATIENCE).ignoring(WebDriverException.class).until(x -> Boolean.TRUE.equals(
          ((JavascriptExecutor) x).executeScript(
              "return window.turnstileLeaving === undefined && document.readyState === 'complete'")));
    } catch (TimeoutException e) {
      throw new AssertionError("the browser did not leave " + d.getCurrentUrl() + " within "
          + PATIENCE.toSeconds() + " s", e);
    }
  }

  static WebDriverWait waitFor(WebDriver d, Duration limit) {
    WebDriverWait w = new WebDriverWait(d, limit);
    w.pollingEvery(Duration.ofMillis(25));
    // A live update replaces content between finding an element and reading it: look again.
    w.ignoring(StaleElementReferenceException.class);
    w.ignoring(NoSuchElementException.class);
    return w;
  }

  /** The folder screenshots go to: the system property turnstile.screenshots, else e2e/target/screenshots. */
  static Path screenshots() throws IOException {
    return Files.createDirectories(Path.of(System.getProperty("turnstile.screenshots", "target/screenshots")));
  }

  /**
   * Saves the screen as {@code name}.png in {@link #screenshots} and checks it with axe-core (the
   * file {@code TURNSTILE_AXE_JS} names, which e2e/run.sh installs) for serious or critical
   * accessibility violations.
   */
  static void screen(WebDriver d, String name) throws IOException {
    Files.write(screenshots().resolve(name + ".png"), ((TakesScreenshot) d).getScreenshotAs(OutputType.BYTES));
    axeClean(d, name);
  }

  /** Checks the page with axe-core for serious or critical accessibility violations; {@code name} names it in a failure. */
  static void axeClean(WebDriver d, String name) throws IOException {
    String axePath = System.getenv("TURNSTILE_AXE_JS");
    assertThat(axePath).as("TURNSTILE_AXE_JS (axe.min.js from the npm package axe-core; e2e/run.sh sets it)").isNotBlank();
    JavascriptExecutor js = (JavascriptExecutor) d;
    // WebDriver's scripts are not bound by the page's Content-Security-Policy.
    js.executeScript(Files.readString(Path.of(axePath)));
    Object result = js.executeAsyncScript("""
        const done = arguments[arguments.length - 1];
        axe.run(document).then(r => done(JSON.stringify(r.violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.html)})))))
          .catch(e => done('axe failed: ' + e));
        """);
    assertThat(String.valueOf(result)).as("serious accessibility violations on " + name).isEqualTo("[]");
  }
}
