package io.turnstile.e2e;

import static io.turnstile.e2e.Browser.confirm;
import static io.turnstile.e2e.Browser.element;
import static io.turnstile.e2e.Browser.look;
import static io.turnstile.e2e.Browser.screen;
import static io.turnstile.e2e.Browser.submit;
import static io.turnstile.e2e.Browser.text;
import static io.turnstile.e2e.Browser.value;
import static org.assertj.core.api.Assertions.assertThat;

import io.turnstile.testkit.Distribution;
import io.turnstile.testkit.Seeder;
import io.turnstile.testkit.TurnstileProcess;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.Select;

/**
 * The console's forms as a vendor meets them in Chromium, against a real distribution upstream:
 * the versions offered are the upstream's, newest first; a refused form comes back as filled in with
 * each message beside its field; a typo, an empty grant and an expiry already past each ask before
 * anything is saved; a revocation asks first; and everything the admin API can change (a license's
 * name, its upstream credentials, a customer's name, the license's customer) the console changes.
 * Every new screen is checked with axe-core and saved as a screenshot (see {@link Browser#screen}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleFormsE2E {
  private Path dir;
  private Distribution upstream;
  private TurnstileProcess turnstile;
  private WebDriver vendor;
  private String globex;
  private String licenseId;

  @BeforeAll
  void start() throws Exception {
    dir = Files.createTempDirectory("turnstile-console-forms-e2e");
    upstream = Distribution.basic(dir.resolve("upstream"), dir.resolve("storage"),
        Map.of("vendor", "vendor-secret")).start();
    new Seeder(upstream.url(), "vendor", "vendor-secret").seedAll();
    turnstile = new TurnstileProcess(dir.resolve("turnstile")).start(upstream.url(), "vendor", "vendor-secret");
    vendor = Browser.chromium();
    vendor.get(console("/sign-in"));
    element(vendor, By.id("token")).sendKeys(TurnstileProcess.ADMIN_TOKEN);
    submit(vendor, By.cssSelector("form[action='/console/sign-in'] button[type=submit]"));
    assertThat(vendor.getCurrentUrl()).endsWith("/console/licenses");
  }

  @AfterAll
  void stop() {
    if (vendor != null) vendor.quit();
    if (turnstile != null) turnstile.close();
    if (upstream != null) upstream.close();
  }

  private String console(String path) {
    return turnstile.adminUrl() + "/console" + path;
  }

  private String createCustomer(String name) {
    vendor.get(console("/customers"));
    element(vendor, By.id("name")).sendKeys(name);
    submit(vendor, By.id("create-customer"));
    return text(vendor, By.id("customer-id"), t -> t.startsWith("cus_"));
  }

  private void type(String id, String text) {
    var field = element(vendor, By.id(id));
    field.clear();
    field.sendKeys(text);
  }

  @Test
  @Order(1)
  void theCreateForm_offersTheUpstreamsVersionsNewestFirst_andTheCustomerItWasOpenedFrom() throws Exception {
    globex = createCustomer("Globex");
    submit(vendor, By.id("new-license"));
    new Select(element(vendor, By.id("application"))).selectByValue("app");
    By offered = By.cssSelector("input[name='version.app']");
    List<String> versions = look(vendor, "the versions of app offered", x -> x.findElements(offered).stream()
        .map(e -> e.getDomProperty("value")).toList(), v -> !v.isEmpty());
    assertThat(versions).as("every version at the upstream, newest first, no floating tag")
        .containsSubsequence("2.0.0", "1.1.0", "1.0.0").doesNotContain("latest");
    assertThat(value(vendor, By.id("customerId"))).isEqualTo(globex);
  }

  @Test
  @Order(2)
  void aRefusedForm_comesBackAsFilledIn_withTheMessageBesideItsField_andNeverThePassword() throws Exception {
    type("name", "Production");
    type("moreVersions", "1.1.0 bar!!");
    type("upstreamUsername", "robot");
    type("upstreamPassword", "s3cret-upstream-e2e");
    submit(vendor, By.id("save-license"));
    assertThat(text(vendor, By.id("moreVersions-error"))).startsWith("Other versions: 'bar!!' is not a valid version");
    assertThat(element(vendor, By.id("moreVersions")).getAttribute("aria-invalid")).isEqualTo("true");
    assertThat(element(vendor, By.id("moreVersions")).getAttribute("aria-describedby")).isEqualTo("moreVersions-error");
    assertThat(value(vendor, By.id("name"))).isEqualTo("Production");
    assertThat(value(vendor, By.id("moreVersions"))).isEqualTo("1.1.0 bar!!");
    assertThat(value(vendor, By.id("upstreamUsername"))).isEqualTo("robot");
    assertThat(value(vendor, By.id("customerId"))).isEqualTo(globex);
    assertThat(value(vendor, By.id("upstreamPassword"))).as("a password is typed again, never sent back").isEmpty();
    assertThat(vendor.getPageSource()).doesNotContain("s3cret-upstream-e2e");
    screen(vendor, "console-create-license-refused");
  }

  @Test
  @Order(3)
  void aTypo_nothingGranted_andAnExpiryAlreadyPast_eachAskBeforeAnythingIsSaved() throws Exception {
    // The license pulls with the upstream's own credentials; the license page sets its own later.
    type("upstreamUsername", "");
    type("moreVersions", "");
    submit(vendor, By.id("save-license"));
    assertThat(text(vendor, By.id("versions-error"))).contains("pick or type at least one version or range");

    type("moreVersions", "1.1.0 1.0.O");
    submit(vendor, By.id("save-license"));
    assertThat(text(vendor, By.id("moreVersions-error"))).contains("not found at the upstream: 1.0.O");
    screen(vendor, "console-create-license-unknown-version");

    ((JavascriptExecutor) vendor).executeScript("arguments[0].value = '2020-01-01'", element(vendor, By.id("expiresAt")));
    element(vendor, By.id("confirmUnknown")).click();
    submit(vendor, By.id("save-license"));
    assertThat(text(vendor, By.id("expiresAt-error"))).contains("2020-01-01 is today or earlier");
    assertThat(vendor.findElements(By.id("license-id"))).as("nothing saved yet").isEmpty();

    ((JavascriptExecutor) vendor).executeScript("arguments[0].value = '2099-06-30'", element(vendor, By.id("expiresAt")));
    if (!element(vendor, By.id("confirmUnknown")).isSelected()) {
      element(vendor, By.id("confirmUnknown")).click();
    }
    submit(vendor, By.id("save-license"));
    licenseId = text(vendor, By.id("license-id"), t -> t.startsWith("lic_"));
    assertThat(text(vendor, By.id("granted"))).contains("1.0.O").contains("1.1.0");
    assertThat(text(vendor, By.tagName("main"))).contains("until 2099-06-30 00:00 UTC");
  }

  @Test
  @Order(4)
  void onTheLicensePage_anExpiryAlreadyPastAsks_andARevocationAsksFirst() throws Exception {
    ((JavascriptExecutor) vendor).executeScript("arguments[0].value = '2020-01-01'", element(vendor, By.id("expiresAt")));
    submit(vendor, By.id("set-expiry"));
    assertThat(text(vendor, By.tagName("h1"))).isEqualTo("Cut the customer off now?");
    screen(vendor, "console-confirm");
    submit(vendor, By.id("confirm-back"));
    assertThat(text(vendor, By.tagName("main"))).as("going back changed nothing").contains("until 2099-06-30 00:00 UTC");

    confirm(vendor, By.cssSelector("button[aria-label='Revoke version 1.0.O']"), "Revoke version 1.0.O?");
    assertThat(text(vendor, By.cssSelector(".notice"))).contains("Version 1.0.O revoked.");
    assertThat(text(vendor, By.id("granted"))).doesNotContain("1.0.O").contains("1.1.0");
  }

  @Test
  @Order(5)
  void everythingTheApiChanges_theConsoleChanges_nameCredentialsCustomerNameAndCustomer() throws Exception {
    type("license-name", "Staging");
    submit(vendor, By.id("rename-license"));
    assertThat(text(vendor, By.tagName("h1"))).isEqualTo("Staging");

    assertThat(text(vendor, By.tagName("main"))).contains("with the upstream's own credentials");
    type("edit-upstreamUsername", "robot-2");
    type("edit-upstreamPassword", "an0ther-s3cret-e2e");
    submit(vendor, By.id("set-upstream"));
    assertThat(text(vendor, By.cssSelector(".notice"))).contains("Upstream credentials set for robot-2.");
    assertThat(vendor.getPageSource()).doesNotContain("an0ther-s3cret-e2e").doesNotContain("s3cret-upstream-e2e");

    String initech = createCustomer("Initech");
    vendor.get(console("/customers/" + globex));
    type("customer-name", "Globex Corporation");
    submit(vendor, By.id("rename-customer"));
    assertThat(text(vendor, By.tagName("h1"))).isEqualTo("Globex Corporation");
    screen(vendor, "console-customer-rename");

    vendor.get(console("/licenses/" + licenseId));
    new Select(element(vendor, By.id("move-customer"))).selectByValue(initech);
    confirm(vendor, By.id("move-license"), "Move this license to the chosen customer?");
    assertThat(text(vendor, By.cssSelector(".notice"))).contains("Moved to Initech.");
    assertThat(text(vendor, By.cssSelector("a[href='/console/customers/" + initech + "']"))).isEqualTo("Initech");
    assertThat(text(vendor, By.tagName("main"))).contains("license.moved").contains(globex + " -> " + initech);
    screen(vendor, "console-license-moved");
    vendor.get(console("/customers/" + globex));
    assertThat(text(vendor, By.tagName("main"))).contains("No licenses yet.");
  }
}
