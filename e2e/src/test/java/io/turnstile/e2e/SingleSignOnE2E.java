package io.turnstile.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.turnstile.testkit.Distribution;
import io.turnstile.testkit.TurnstileProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;
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
import org.openqa.selenium.WebElement;

/**
 * Console sign-in through a real Keycloak, in headless Chromium: each of the realm's three people
 * signs in on Keycloak's own login page and the console names them with the role their group gives;
 * the viewer sees no edit buttons and a forged change is refused; the editor's changes are named in
 * the history and the activity log; signing out ends the session at Keycloak too; someone taken out
 * of their group loses the role at their next sign-in. Keycloak starts once for the class, while the rest is set up.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SingleSignOnE2E {
  private static final By SIGNED_IN_AS = By.id("signed-in-as");

  private Path dir;
  private Keycloak keycloak;
  private Distribution upstream;
  private TurnstileProcess turnstile;
  private WebDriver browser;

  @BeforeAll
  void start() throws Exception {
    dir = Files.createTempDirectory("turnstile-sso-e2e");
    keycloak = Keycloak.start(dir.resolve("keycloak.log"));
    upstream = Distribution.basic(dir.resolve("upstream"), dir.resolve("storage"),
        Map.of("vendor", "vendor-secret")).start();
    turnstile = new TurnstileProcess(dir.resolve("turnstile")).admin(t -> """
          publicUrl: %s
          oidc:
            issuer: %s
            clientId: %s
            clientSecret: ${OIDC_CLIENT_SECRET}
            roles:
              admin: [turnstile-admins]
              editor: [turnstile-editors]
              viewer: [turnstile-viewers]
        """.formatted(t.adminUrl(), keycloak.issuer(), Keycloak.CLIENT_ID),
        Map.of("OIDC_CLIENT_SECRET", Keycloak.CLIENT_SECRET)).start(upstream.url(), "vendor", "vendor-secret");
    browser = Browser.chromium();
    keycloak.awaitReady().redirectTo(turnstile.adminUrl() + "/console/oidc/callback",
        turnstile.adminUrl() + "/console/sign-in");
  }

  @AfterAll
  void stop() {
    if (browser != null) browser.quit();
    if (turnstile != null) turnstile.close();
    if (upstream != null) upstream.close();
    if (keycloak != null) keycloak.close();
  }

  private <T> T await(String what, Function<WebDriver, T> read, Predicate<T> until) {
    return Browser.look(browser, what, read, until);
  }

  private WebElement element(By by) {
    return Browser.element(browser, by);
  }

  /** Signs in on Keycloak's login page, starting from the console's sign-in page. */
  private void signInAtKeycloak(String user, String password) {
    browser.get(turnstile.adminUrl() + "/console/sign-in");
    element(By.id("sign-in-sso")).click();
    await("Keycloak's login page", d -> d.getCurrentUrl(), url -> url.startsWith(keycloak.issuer()));
    element(By.id("username")).sendKeys(user);
    element(By.id("password")).sendKeys(password);
    element(By.id("kc-login")).click();
  }

  private String signedInAs() {
    return await("the console to name who is signed in", d -> d.findElement(SIGNED_IN_AS).getText(), t -> true);
  }

  private void signOut() {
    element(By.id("sign-out")).click();
    // Through Keycloak's end-session endpoint and back to the console's sign-in page.
    await("the console's sign-in page after sign-out", d -> d.getCurrentUrl(),
        url -> url.startsWith(turnstile.adminUrl() + "/console/sign-in"));
    element(By.id("sign-in-sso"));
  }

  @Test
  @Order(1)
  void eachPerson_signsInAtKeycloak_andTheConsoleNamesThemWithTheirGroupsRole() {
    for (String role : new String[] {"admin", "editor", "viewer"}) {
      signInAtKeycloak(role + "@vendor.example", role + "-password-e2e");
      assertThat(signedInAs()).isEqualTo("Signed in as " + role + "@vendor.example (" + role + ")");
      assertThat(browser.getCurrentUrl()).isEqualTo(turnstile.adminUrl() + "/console/licenses");
      signOut();
    }
  }

  @Test
  @Order(2)
  void aConsolePageAskedForBeforeSignIn_isWhereTheBrowserArrivesAfter() {
    browser.get(turnstile.adminUrl() + "/console/customers");
    element(By.id("sign-in-sso")).click();
    await("Keycloak's login page", d -> d.getCurrentUrl(), url -> url.startsWith(keycloak.issuer()));
    element(By.id("username")).sendKeys("viewer@vendor.example");
    element(By.id("password")).sendKeys("viewer-password-e2e");
    element(By.id("kc-login")).click();
    assertThat(signedInAs()).isEqualTo("Signed in as viewer@vendor.example (viewer)");
    assertThat(browser.getCurrentUrl()).isEqualTo(turnstile.adminUrl() + "/console/customers");
    signOut();
  }

  @Test
  @Order(3)
  void theViewer_seesNoEditButtons_andAForgedChangeIsRefused() {
    signInAtKeycloak("viewer@vendor.example", "viewer-password-e2e");
    signedInAs();
    browser.get(turnstile.adminUrl() + "/console/customers");
    element(By.id("q"));
    assertThat(browser.findElements(By.id("create-customer"))).as("the viewer's customers page offers no create").isEmpty();
    // A change forged in the viewer's own signed-in page, with its valid CSRF token: the role decides.
    Object status = ((org.openqa.selenium.JavascriptExecutor) browser).executeAsyncScript("""
        const done = arguments[arguments.length - 1];
        const csrf = document.querySelector("input[name=csrf]").value;
        fetch("/console/customers", {method: "POST", headers: {"Content-Type": "application/x-www-form-urlencoded"},
            body: "csrf=" + encodeURIComponent(csrf) + "&name=Forged", redirect: "manual"})
          .then(r => done(r.status), e => done(String(e)));
        """);
    assertThat(status).isEqualTo(403L);
    browser.get(turnstile.adminUrl() + "/console/customers");
    assertThat(element(By.tagName("main")).getText()).doesNotContain("Forged");
    signOut();
  }

  @Test
  @Order(4)
  void theEditorsChanges_areNamedInTheHistoryAndTheActivityLog() {
    signInAtKeycloak("editor@vendor.example", "editor-password-e2e");
    assertThat(signedInAs()).isEqualTo("Signed in as editor@vendor.example (editor)");
    browser.get(turnstile.adminUrl() + "/console/customers");
    element(By.id("name")).sendKeys("Initech");
    element(By.id("create-customer")).click();
    String customer = await("the new customer's page", d -> d.findElement(By.id("customer-id")).getText(), t -> t.startsWith("cus_"));
    element(By.id("new-license")).click();
    element(By.id("grantNothing")).click();
    element(By.id("save-license")).click();
    String license = await("the new license's page", d -> d.findElement(By.id("license-id")).getText(), t -> t.startsWith("lic_"));
    assertThat(element(By.tagName("main")).getText()).contains("editor@vendor.example");
    browser.get(turnstile.adminUrl() + "/console/activity?customerId=" + customer);
    String activity = await("the activity log's entries", d -> d.findElement(By.id("activity")).getText(),
        t -> t.contains("license.created"));
    assertThat(activity).contains("editor@vendor.example").contains("customer.created").contains(license);
    signOut();
  }

  @Test
  @Order(5)
  void someoneTakenOutOfTheirGroup_losesTheRoleAtTheirNextSignIn() throws Exception {
    keycloak.removeFromGroup("editor@vendor.example", "turnstile-editors");
    signInAtKeycloak("editor@vendor.example", "editor-password-e2e");
    String refused = await("the console's refusal", d -> d.findElement(By.id("refused")).getText(), t -> true);
    assertThat(refused).contains("signed you in as editor@vendor.example")
        .contains("holds no value that gives a Turnstile console role");
    browser.get(turnstile.adminUrl() + "/console/licenses");
    element(By.id("sign-in-sso"));
    assertThat(Files.readString(turnstile.log())).contains("console sign-in refused: no role for editor@vendor.example")
        .doesNotContain(Keycloak.CLIENT_SECRET);
  }
}
