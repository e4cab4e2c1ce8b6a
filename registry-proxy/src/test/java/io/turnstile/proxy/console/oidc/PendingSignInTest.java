package io.turnstile.proxy.console.oidc;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The sealed cookie of a sign-in under way: only this client's secret opens it, unaltered and in time. */
class PendingSignInTest {
  private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");
  private final PendingSignIn.Sealer sealer = new PendingSignIn.Sealer("client-secret-of-this-turnstile");
  private final PendingSignIn pending =
      new PendingSignIn("state-1", "nonce-1", "verifier-1", "/console/customers", NOW.plusSeconds(600));

  @Test
  void sealed_opensToWhatWasSealed_andHidesItsContent() {
    String cookie = sealer.seal(pending);
    assertThat(sealer.open(cookie, NOW)).isEqualTo(pending);
    assertThat(cookie).doesNotContain("state-1").doesNotContain("nonce-1").doesNotContain("verifier-1")
        .matches("[A-Za-z0-9_.-]+");
  }

  @Test
  void aLapsedAttempt_doesNotOpen() {
    String cookie = sealer.seal(pending);
    assertThat(sealer.open(cookie, NOW.plusSeconds(600))).isNull();
  }

  @Test
  void anAlteredCookie_orOneSealedWithAnotherSecret_doesNotOpen() {
    String cookie = sealer.seal(pending);
    int last = cookie.lastIndexOf('.');
    char c = cookie.charAt(last + 2);
    String altered = cookie.substring(0, last + 2) + (c == 'A' ? 'B' : 'A') + cookie.substring(last + 3);
    assertThat(sealer.open(altered, NOW)).isNull();
    assertThat(new PendingSignIn.Sealer("another-secret").open(cookie, NOW)).isNull();
    assertThat(sealer.open("not.a.jwe", NOW)).isNull();
    assertThat(sealer.open(null, NOW)).isNull();
  }

  @Test
  void aReturnPathOffTheConsole_opensAsTheConsolesStartPage() {
    PendingSignIn away = new PendingSignIn("s", "n", "v", "https://evil.example/", NOW.plusSeconds(60));
    assertThat(sealer.open(sealer.seal(away), NOW).returnTo()).isEqualTo(ReturnPath.DEFAULT);
  }

  @Test
  void theStringForm_namesNoSecretOfTheAttempt() {
    assertThat(pending.toString()).doesNotContain("state-1", "nonce-1", "verifier-1");
  }
}
