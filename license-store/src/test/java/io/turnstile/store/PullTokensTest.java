package io.turnstile.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.turnstile.store.testing.MutableClock;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PullTokensTest {
  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(StoreFixture.T0);
  private LicenseStore store;
  private IssuedKey license;
  private IssuedKey other;
  private LicenseId id;

  @BeforeEach
  void open() throws Exception {
    store = StoreFixture.open(dir, clock);
    CustomerId acme = store.createCustomer("Acme", "t").id();
    license = store.createLicense(new NewLicense("prod", acme, "app", StoreFixture.T0.plus(Duration.ofDays(90)),
        List.of("1.0.0"), null), "t");
    other = store.createLicense(new NewLicense("tools", acme, "tool", null, List.of("2.0.0"), null), "t");
    id = new LicenseId(license.username());
  }

  @AfterEach
  void close() {
    store.close();
  }

  private IssuedPullToken create(String name, Instant expiresAt) {
    return store.pullTokens().create(id, name, expiresAt, "portal:" + license.username());
  }

  @Test
  void aNewToken_looksLikeTpt_grantsExactlyItsLicense_andIsStoredAsItsHashOnly() throws Exception {
    IssuedPullToken issued = create("ci", null);
    assertThat(issued.secret()).startsWith("tpt_").hasSize(4 + 43);
    assertThat(issued.toString()).doesNotContain(issued.secret().substring(4));

    Access access = (Access) store.authorize(license.username(), issued.secret());
    assertThat(access.principal().isPullToken()).isTrue();
    assertThat(access.principal().credentialId()).isEqualTo(issued.token().id());
    assertThat(CredentialKind.of(access.principal())).isEqualTo(CredentialKind.PULL_TOKEN);
    assertThat(access.allowsTag("vendor/app", "1.0.0")).isTrue();
    assertThat(access.allowsTag("vendor/app", "1.0.1")).isFalse();
    assertThat(access.allowsRepository("vendor/tool")).as("another license of the same customer").isFalse();

    List<String> stored = new ArrayList<>();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("turnstile.db"));
        ResultSet r = c.createStatement().executeQuery("SELECT * FROM pull_tokens")) {
      while (r.next()) {
        for (int i = 1; i <= r.getMetaData().getColumnCount(); i++) {
          stored.add(r.getString(i));
        }
      }
    }
    assertThat(stored).doesNotContain(issued.secret()).contains(Keys.hash(issued.secret()));
  }

  @Test
  void aToken_loggedInWithAnotherLicensesIdOrTheCustomerId_isRefused() {
    IssuedPullToken issued = create("ci", null);
    assertThat(store.authorize(other.username(), issued.secret())).isEqualTo(Refusal.BAD_CREDENTIALS);
    assertThat(store.authorize(store.license(id).customerId().value(), issued.secret()))
        .isEqualTo(Refusal.BAD_CREDENTIALS);
  }

  @Test
  void aRevokedToken_isRefusedAtOnce_bothAtLogin_andInTokensThatNameIt() {
    IssuedPullToken issued = create("ci", null);
    store.pullTokens().revoke(id, issued.token().id(), "t");
    assertThat(store.authorize(license.username(), issued.secret())).isEqualTo(Refusal.BAD_CREDENTIALS);
    assertThat(store.authorizeCredential(issued.token().id())).isEqualTo(Refusal.BAD_CREDENTIALS);
    assertThat(store.pullTokens().list(id)).isEmpty();
    assertThatThrownBy(() -> store.pullTokens().revoke(id, issued.token().id(), "t"))
        .isInstanceOf(NoSuchPullTokenException.class);
  }

  @Test
  void aTokenPastItsOwnExpiry_isRefusedAsExpired_whileTheLicenseKeyStillWorks() {
    IssuedPullToken issued = create("ci", StoreFixture.T0.plus(Duration.ofDays(1)));
    clock.advance(Duration.ofDays(1));
    assertThat(store.authorize(license.username(), issued.secret())).isEqualTo(Refusal.TOKEN_EXPIRED);
    assertThat(store.authorize(license.username(), license.key())).isInstanceOf(Access.class);
  }

  @Test
  void aToken_stopsWhenItsLicenseIsRevoked() {
    IssuedPullToken issued = create("ci", null);
    store.revokeLicense(id, "t");
    assertThat(store.authorize(license.username(), issued.secret())).isEqualTo(Refusal.REVOKED);
  }

  @Test
  void aToken_stopsWhenItsLicenseExpires_andNoTokenIsMadeForARevokedLicense() {
    IssuedPullToken issued = create("ci", null);
    clock.advance(Duration.ofDays(90));
    assertThat(store.authorize(license.username(), issued.secret())).isEqualTo(Refusal.EXPIRED);
    store.revokeLicense(id, "t");
    assertThat(store.authorize(license.username(), issued.secret())).isEqualTo(Refusal.REVOKED);
    assertThatThrownBy(() -> create("another", null)).isInstanceOf(NoSuchLicenseException.class);
  }

  @Test
  void rotating_revokesTheOldSecret_andKeepsTheNameAndExpiry() {
    Instant expiry = StoreFixture.T0.plus(Duration.ofDays(10));
    IssuedPullToken old = create("cluster-eu", expiry);
    IssuedPullToken rotated = store.pullTokens().rotate(id, old.token().id(), "t");
    assertThat(rotated.token().name()).isEqualTo("cluster-eu");
    assertThat(rotated.token().expiresAt()).isEqualTo(expiry);
    assertThat(rotated.token().id()).isNotEqualTo(old.token().id());
    assertThat(store.authorize(license.username(), old.secret())).isEqualTo(Refusal.BAD_CREDENTIALS);
    assertThat(store.authorize(license.username(), rotated.secret())).isInstanceOf(Access.class);
    assertThat(store.pullTokens().list(id)).extracting(PullToken::id).containsExactly(rotated.token().id());
  }

  @Test
  void badNames_pastExpiries_duplicateNames_andMoreThanTheLimit_areClearErrors() {
    assertThatThrownBy(() -> create("", null)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("name");
    assertThatThrownBy(() -> create("has space", null)).isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> create("ci", StoreFixture.T0)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("expiresAt: must be in the future");
    create("ci", null);
    assertThatThrownBy(() -> create("ci", null)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("already has a pull token named ci");
    for (int i = 1; i < PullTokens.MAX_PER_LICENSE; i++) {
      create("ci-" + i, null);
    }
    assertThatThrownBy(() -> create("one-too-many", null)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("already has 20 pull tokens");
  }

  @Test
  void lastUse_isKnownAtOnce_andWrittenInABatch_notPerPull() throws Exception {
    IssuedPullToken issued = create("ci", null);
    assertThat(store.pullTokens().list(id).get(0).lastUsedAt()).isNull();
    clock.advance(Duration.ofMinutes(5));
    for (int i = 0; i < 100; i++) {
      store.authorize(license.username(), issued.secret());
    }
    long queries = store.stats().statementsExecuted();
    assertThat(store.pullTokens().list(id).get(0).lastUsedAt()).isEqualTo(clock.instant());
    assertThat(store.stats().statementsExecuted()).as("no write per use").isEqualTo(queries);
    store.close();
    store = StoreFixture.open(dir, clock);
    assertThat(store.pullTokens().list(id).get(0).lastUsedAt()).as("written at close").isEqualTo(clock.instant());
  }

  @Test
  void tokenEvents_areInTheLicensesHistory_withoutTheSecret() {
    IssuedPullToken issued = create("ci", null);
    store.pullTokens().revoke(id, issued.token().id(), "vendor@example.com");
    List<LicenseEvent> history = store.history(id);
    assertThat(history).extracting(LicenseEvent::action)
        .contains("license.pull_token_created", "license.pull_token_revoked");
    assertThat(history).allSatisfy(e -> assertThat(String.valueOf(e.detail())).doesNotContain("tpt_"));
  }
}
