package io.turnstile.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * How every benchmark runs from the command line: {@code [--quick] [options] REPORT.md}. Its body
 * appends a markdown section to a report, which is written to the file named last and printed
 * whatever happens, so that a failing run still leaves what it measured; then the JVM exits, so
 * that no stray thread of a client or server under test holds it up.
 */
final class Report {
  /** A benchmark's body. */
  interface Body {
    /**
     * @param quick {@code --quick}: fewer and shorter runs, to check the benchmark works
     * @param args the whole command line, for options of the benchmark's own
     * @param report where the section goes
     */
    void run(boolean quick, List<String> args, StringBuilder report) throws Exception;
  }

  private Report() {}

  /** Appends {@code s} as a line of {@code report}, and shows it on standard error as it comes. */
  static void line(StringBuilder report, String s) {
    report.append(s).append('\n');
    System.err.println(s);
  }

  /** Runs {@code body} for {@code args}, writes its report, and exits. */
  static void main(String[] args, Body body) throws Exception {
    List<String> all = List.of(args);
    if (all.isEmpty() || all.get(all.size() - 1).startsWith("--")) {
      System.err.println("usage: [--quick] [options] REPORT.md");
      System.exit(2);
    }
    Path out = Path.of(all.get(all.size() - 1));
    StringBuilder report = new StringBuilder();
    try {
      body.run(all.contains("--quick"), all, report);
    } finally {
      Files.writeString(out, report.toString());
      System.out.println(report);
    }
    System.exit(0);
  }
}
