package io.turnstile.e2e;

import static io.turnstile.e2e.Browser.look;
import static io.turnstile.e2e.Browser.read;
import static io.turnstile.e2e.Browser.submit;
import static io.turnstile.e2e.Browser.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.JWKSet;
import io.turnstile.proxy.licensing.LicenseVerifier;
import io.turnstile.testkit.TurnstileProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;

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

  @TempDir Path dir;
  private TurnstileProcess turnstile;
  private WebDriver vendor;
  private WebDriver customer;
  private String licenseId;
  private String key;

  @BeforeEach
  void start() throws Exception {
    turnstile = new TurnstileProcess(dir.resolve("turnstile"))
        .entitlements("{name: seats, type: integer, default: 5, visible: true}", "{name: sso, type: boolean, default: false}")
        .start("http://127.0.0.1:9", "vendor", "vendor-secret");
    String customerId = turnstile.cli("customer", "create", "--name", "Acme").get("id").asText();
    var license = turnstile.cli("license", "create", "--customer", customerId, "--application", "app",
        "--version", "1.0.0", "--entitlement", "seats=10");
    licenseId = license.get("id").asText();
    key = license.get("key").asText();
    vendor = Browser.chromium();
    customer = Browser.chromium();
  }

  @AfterEach
  void stop() {
    if (vendor != null) vendor.quit();
    if (customer != null) customer.quit();
    if (turnstile != null) turnstile.close();
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
  private void axeCheck(WebDriver d, String page) throws java.io.IOException {
    Browser.axeClean(d, page);
  }











}
