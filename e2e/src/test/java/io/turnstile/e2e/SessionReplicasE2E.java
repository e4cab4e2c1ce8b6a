package io.turnstile.e2e;

import static io.turnstile.e2e.Browser.element;
import static io.turnstile.e2e.Browser.look;
import static io.turnstile.e2e.Browser.submit;
import static io.turnstile.e2e.Browser.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.turnstile.testkit.Distribution;
import io.turnstile.testkit.Postgres;
import io.turnstile.testkit.TurnstileProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;

/**
 * Two replicas on Debian's PostgreSQL, and one headless Chromium that signs in to the console
 * through one and goes on through the other, as it would behind a load balancer without sticky
 * sessions: its forms are accepted there, and a sign-out there is refused by the first within a
 * second.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SessionReplicasE2E {
  /** The README's promise: a session ended on one replica is refused by the others within this. */
  private static final Duration ENDED_EVERYWHERE = Duration.ofSeconds(1);

  private Path dir;
  private Distribution upstream;
  private Postgres postgres;
  private TurnstileProcess a;
  private TurnstileProcess b;
  private WebDriver vendor;

  @BeforeAll
  void start() throws Exception {
    dir = Files.createTempDirectory("turnstile-session-replicas-e2e");
    upstream = Distribution.basic(dir.resolve("upstream"), dir.resolve("storage"), Map.of("vendor", "vendor-secret"))
        .start();
    postgres = Postgres.start(dir.resolve("postgres"));
    String encryptionKey = TurnstileProcess.newEncryptionKey();
    Path signingKey = dir.resolve("signing-key.pem");
    a = new TurnstileProcess(dir.resolve("replica-a"));
    b = new TurnstileProcess(dir.resolve("replica-b"));
    for (TurnstileProcess r : new TurnstileProcess[] {a, b}) {
      r.store(postgres.jdbcUrl(), postgres.user(), postgres.password()).encryptionKey(encryptionKey)
          .signingKey(signingKey);
    }
    // The first replica migrates the schema and generates the signing key the other loads.
    a.start(upstream.url(), "vendor", "vendor-secret");
    b.start(upstream.url(), "vendor", "vendor-secret");
    vendor = Browser.chromium();
  }

  @AfterAll
  void stop() {
    if (vendor != null) vendor.quit();
    if (b != null) b.close();
    if (a != null) a.close();
    if (postgres != null) postgres.close();
    if (upstream != null) upstream.close();
  }

  @Test
  void aConsoleSessionMadeOnOneReplica_postsFormsOnTheOther_andASignOutThereEndsItOnTheFirst() {
    vendor.get(a.adminUrl() + "/console/licenses");
    assertThat(vendor.getCurrentUrl()).endsWith("/console/sign-in");
    element(vendor, By.id("token")).sendKeys(TurnstileProcess.ADMIN_TOKEN);
    submit(vendor, By.cssSelector("form[action='/console/sign-in'] button[type=submit]"));
    assertThat(vendor.getCurrentUrl()).startsWith(a.adminUrl()).endsWith("/console/licenses");

    // The same browser on the other replica: the cookie is the host's, whichever port answers.
    vendor.get(b.adminUrl() + "/console/customers");
    assertThat(vendor.getCurrentUrl()).as("signed in on B too").endsWith("/console/customers");
    element(vendor, By.id("name")).sendKeys("Made through B");
    submit(vendor, By.id("create-customer"));
    assertThat(text(vendor, By.id("customer-id"))).as("B took the form of a session made on A").isNotBlank();
    vendor.get(a.adminUrl() + "/console/customers");
    assertThat(vendor.getPageSource()).contains("Made through B");

    vendor.get(b.adminUrl() + "/console/licenses");
    submit(vendor, By.id("sign-out"));
    // Measured from B's answer, once the sign-out is committed: the browser's own page loads before
    // it are no part of the promise.
    long signedOut = System.currentTimeMillis();
    String refused = look(vendor, "A to refuse the session signed out on B", d -> {
      d.get(a.adminUrl() + "/console/licenses");
      return d.getCurrentUrl();
    }, url -> url.endsWith("/console/sign-in"));
    long ms = System.currentTimeMillis() - signedOut;
    System.out.printf("SessionReplicasE2E: a sign-out on B was refused on A %d ms after it was made%n", ms);
    assertThat(refused).startsWith(a.adminUrl());
    assertThat(Duration.ofMillis(ms)).as("refused on A %d ms after the sign-out on B", ms)
        .isLessThan(ENDED_EVERYWHERE);
  }
}
