package io.turnstile.store;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Aggregates over the pull audit log for the fleet view: which versions each license pulls, how
 * many licenses pull each version per day, and when each license last pulled. Blocking; each method
 * one query, aggregated by the database, answering at most {@code limit} rows. Only records that
 * name a version count towards versions and adoption; only records that name a license count at all.
 */
public interface PullStats {
  /** Most rows any of these queries answers. */
  int MAX_ROWS = 10_000;

  /**
   * Each (license, application, version) pulled at or after {@code since}: its last pull and the
   * distinct client addresses that pulled it, most recently pulled first.
   *
   * @param application only this application's pulls; null for every application
   */
  List<VersionPulls> versionsPulled(String application, Instant since, int limit);

  /**
   * Distinct licenses pulling each version per UTC day, from {@code since} on; newest day first,
   * then by application and version.
   *
   * @param application only this application's pulls; null for every application
   */
  List<DailyAdoption> adoption(String application, Instant since, int limit);

  /** The last recorded pull of each license that has one; at most {@code limit} licenses. */
  Map<LicenseId, Instant> lastPulls(int limit);

  /**
   * A version pulled with one license.
   *
   * @param last the last pull of this version with this license
   * @param clientAddresses how many distinct client addresses pulled it (unknown addresses not counted)
   */
  record VersionPulls(LicenseId licenseId, CustomerId customerId, String application, String version, Instant last,
      int clientAddresses) {
    public VersionPulls {
      Objects.requireNonNull(licenseId, "licenseId");
      Objects.requireNonNull(customerId, "customerId");
      Objects.requireNonNull(application, "application");
      Objects.requireNonNull(version, "version");
      Objects.requireNonNull(last, "last");
    }
  }

  /** How many distinct licenses pulled {@code version} of {@code application} on {@code day} (UTC). */
  record DailyAdoption(LocalDate day, String application, String version, int licenses) {
    public DailyAdoption {
      Objects.requireNonNull(day, "day");
      Objects.requireNonNull(application, "application");
      Objects.requireNonNull(version, "version");
    }
  }

  /** Refuses a limit outside 1 to {@link #MAX_ROWS}. */
  static int checkLimit(int limit) {
    if (limit < 1 || limit > MAX_ROWS) {
      throw new InvalidInputException("limit", "must be between 1 and " + MAX_ROWS);
    }
    return limit;
  }
}
