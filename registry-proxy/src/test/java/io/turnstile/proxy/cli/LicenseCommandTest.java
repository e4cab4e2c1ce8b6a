package io.turnstile.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LicenseCommandTest {
  @Test
  void expires_acceptsWhatTheAdminApiAccepts_plusNever() {
    assertThat(LicenseCommand.expiry(null)).isNull();
    assertThat(LicenseCommand.expiry("never")).isNull();
    assertThat(LicenseCommand.expiry("NEVER")).isNull();
    assertThat(LicenseCommand.expiry("2027-01-01")).isEqualTo("2027-01-01T00:00:00Z");
    assertThat(LicenseCommand.expiry("2027-01-01T09:00:00+02:00")).isEqualTo("2027-01-01T07:00:00Z");
  }

  @Test
  void expires_refusesAnythingElse_beforeAnyCall() {
    assertThatThrownBy(() -> LicenseCommand.expiry("next year"))
        .isInstanceOf(CliException.class)
        .hasMessage("--expires: 'next year' is not a date (YYYY-MM-DD), an RFC 3339 time or 'never'");
  }
}
