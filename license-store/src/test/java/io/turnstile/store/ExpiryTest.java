package io.turnstile.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class ExpiryTest {
  @Test
  void rfc3339Times_withAnyOffset() {
    assertThat(Expiry.parse("f", "2027-01-01T00:00:00Z")).isEqualTo(Instant.parse("2027-01-01T00:00:00Z"));
    assertThat(Expiry.parse("f", "2027-01-01T09:00:00+02:00")).isEqualTo(Instant.parse("2027-01-01T07:00:00Z"));
    assertThat(Expiry.parse("f", "2027-01-01T00:00:00.250Z")).isEqualTo(Instant.parse("2027-01-01T00:00:00.250Z"));
  }

  @Test
  void aBareDate_isTheStartOfThatDayInUtc() {
    assertThat(Expiry.parse("f", "2027-03-31")).isEqualTo(Instant.parse("2027-03-31T00:00:00Z"));
  }

  @Test
  void anythingElse_isRefusedNamingTheField() {
    for (String bad : new String[] {"2027-01-01T00:00:00", "2027-13-01", "01/01/2027", "tomorrow", "never", ""}) {
      assertThatThrownBy(() -> Expiry.parse("expiresAt", bad)).as(bad)
          .isInstanceOf(InvalidInputException.class)
          .hasMessage("expiresAt: '" + bad + "' is not an RFC 3339 time (e.g. 2027-01-01T00:00:00Z)")
          .extracting(e -> ((InvalidInputException) e).field()).isEqualTo("expiresAt");
    }
  }
}
