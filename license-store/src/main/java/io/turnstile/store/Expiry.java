package io.turnstile.store;

import static io.turnstile.store.InvalidInputException.quoted;

import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Objects;

/**
 * A license expiry as people write it: an RFC 3339 time with an offset ({@code
 * 2027-01-01T00:00:00Z}, {@code 2027-01-01T09:00:00+02:00}), or a bare date ({@code 2027-01-01}),
 * which means the start of that day in UTC. The admin API and the CLI both read expiries with it,
 * so they accept the same forms.
 */
public final class Expiry {
  private Expiry() {}

  /**
   * The instant {@code text} names.
   *
   * @param field names the input in the error, e.g. {@code expiresAt}
   * @throws InvalidInputException when {@code text} is neither form
   */
  public static Instant parse(String field, String text) {
    Objects.requireNonNull(text, "text");
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException notATime) {
      try {
        return LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant();
      } catch (DateTimeParseException notADate) {
        throw new InvalidInputException(field, quoted(text) + " is not an RFC 3339 time (e.g. 2027-01-01T00:00:00Z)");
      }
    }
  }
}
