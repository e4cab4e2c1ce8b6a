package io.turnstile.proxy.console;

import java.util.List;
import java.util.Map;

/**
 * What the console's fleet page shows, read from the admin API's {@code /fleet} answers. The chart
 * draws the adoption table's own numbers (fleet.js reads the table), so the two cannot disagree.
 */
public final class Fleet {
  private Fleet() {}

  /**
   * Versions in use: one row per license, one column per version pulled (oldest first).
   *
   * @param versions the column headings
   * @param endOfLife for each column, whether that version is end of life
   */
  public record Matrix(List<String> versions, List<Boolean> endOfLife, List<MatrixRow> rows, boolean truncated) {}

  /**
   * A license's row: the version it pulled last and, in each version's column, when it last pulled
   * that version and from how many client addresses.
   *
   * @param cells by version, the text of its cell
   */
  public record MatrixRow(String customerId, String customerName, String licenseId, String licenseName,
      String application, String version, Map<String, String> cells) {
    /** The cell of column {@code v}; empty when the license did not pull it. */
    public String cell(String v) {
      return cells.getOrDefault(v, "");
    }

    /** The text of a cell: when (UTC, to the minute) and from how many addresses. */
    static String cellText(String lastPulled, long clientAddresses) {
      return lastPulled + " · " + clientAddresses + (clientAddresses == 1 ? " address" : " addresses");
    }
  }

  /**
   * Adoption over time: one row per day (oldest first), one column per version; each number the
   * distinct licenses that pulled that version that day.
   *
   * @param series the column headings: version, or application and version when several applications show
   */
  public record Adoption(List<String> series, List<Day> days, boolean truncated) {
    /** Whether any license pulled anything in the period. */
    public boolean empty() {
      return days.stream().allMatch(d -> d.licenses().stream().allMatch(n -> n == 0));
    }
  }

  public record Day(String day, List<Long> licenses) {}

  /**
   * One license needing attention.
   *
   * @param reason expiring, idle or endOfLife
   * @param version the end-of-life version pulled; empty otherwise
   * @param at when it expires, when it last pulled (empty: never recorded), or when it last pulled the version
   */
  public record Attention(String reason, String customerId, String customerName, String licenseId,
      String licenseName, String application, String version, String at) {}

  /** The page's filter as the form shows it back; empty for every application. */
  public record Filter(String application, List<String> applications) {}
}
