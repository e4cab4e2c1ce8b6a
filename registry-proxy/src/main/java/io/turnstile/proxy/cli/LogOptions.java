package io.turnstile.proxy.cli;

import picocli.CommandLine.Option;

/** The time window and size of a log read newest first (pulls, activity), shared by their commands. */
final class LogOptions {
  @Option(names = "--since", paramLabel = "DATE", description = "From this time on: YYYY-MM-DD (UTC) or RFC 3339")
  String since;
  @Option(names = "--until", paramLabel = "DATE", description = "Before this time: YYYY-MM-DD (UTC) or RFC 3339")
  String until;
  @Option(names = "--limit", paramLabel = "N",
      description = "Most records shown; default 100 for a table or JSON, every record for CSV")
  Integer limit;

  /**
   * Checks {@code output} and the options, and starts the query of {@code path} with the time
   * window; the caller adds its own filters.
   */
  StringBuilder query(String path, String output) {
    if (!output.equals("table") && !output.equals("json") && !output.equals("csv")) {
      throw new CliException("--output must be table, json or csv");
    }
    if (limit != null && limit < 1) {
      throw new CliException("--limit must be at least 1");
    }
    StringBuilder q = new StringBuilder(path).append('?');
    PullsCommand.param(q, "since", PullsCommand.time("--since", since));
    PullsCommand.param(q, "until", PullsCommand.time("--until", until));
    return q;
  }
}
