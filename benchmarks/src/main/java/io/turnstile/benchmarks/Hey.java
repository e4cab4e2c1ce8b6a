package io.turnstile.benchmarks;

import io.turnstile.testkit.Proc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Load from {@code hey} (Debian package), parsed into throughput, percentiles and errors. */
record Hey(double requestsPerSecond, double p50ms, double p99ms, long ok, long failed) {
  private static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
  private static final Pattern PCT = Pattern.compile("\\s+(\\d+)%+ in ([0-9.]+) secs");
  private static final Pattern STATUS = Pattern.compile("\\[(\\d+)]\\s+(\\d+) responses");

  static Hey run(String url, String method, List<String> headers, int concurrency, Duration duration, int qpsPerWorker) {
    Proc.require("hey");
    List<String> cmd = new ArrayList<>(List.of("hey", "-z", duration.toSeconds() + "s", "-c", String.valueOf(concurrency),
        "-m", method, "-t", "10"));
    if (qpsPerWorker > 0) {
      cmd.addAll(List.of("-q", String.valueOf(qpsPerWorker)));
    }
    for (String h : headers) {
      cmd.addAll(List.of("-H", h));
    }
    cmd.add(url);
    Proc.Result r = Proc.run(cmd, Map.of(), null, duration.plusSeconds(60));
    String out = r.out();
    Matcher rps = RPS.matcher(out);
    double requests = rps.find() ? Double.parseDouble(rps.group(1)) : 0;
    double p50 = -1;
    double p99 = -1;
    Matcher pct = PCT.matcher(out);
    while (pct.find()) {
      double ms = Double.parseDouble(pct.group(2)) * 1000;
      if (pct.group(1).equals("50")) p50 = ms;
      if (pct.group(1).equals("99")) p99 = ms;
    }
    long ok = 0;
    long bad = 0;
    Matcher status = STATUS.matcher(out);
    while (status.find()) {
      long n = Long.parseLong(status.group(2));
      if (status.group(1).equals("200")) ok += n;
      else bad += n;
    }
    int errorSection = out.indexOf("Error distribution:");
    if (errorSection >= 0) {
      Matcher e = Pattern.compile("\\[(\\d+)]").matcher(out.substring(errorSection));
      while (e.find()) {
        bad += Long.parseLong(e.group(1));
      }
    }
    return new Hey(requests, p50, p99, ok, bad);
  }

  /**
   * Two loads at once, each with half of {@code concurrency}, as one: requests per second and counts
   * added, percentiles the worse of the two.
   */
  static Hey both(String url1, String url2, String method, List<String> headers, int concurrency, Duration duration) {
    var first = java.util.concurrent.CompletableFuture.supplyAsync(
        () -> run(url1, method, headers, concurrency / 2, duration, 0));
    Hey second = run(url2, method, headers, concurrency - concurrency / 2, duration, 0);
    Hey one = first.join();
    return new Hey(one.requestsPerSecond + second.requestsPerSecond, Math.max(one.p50ms, second.p50ms),
        Math.max(one.p99ms, second.p99ms), one.ok + second.ok, one.failed + second.failed);
  }

  /** {@code runs} runs of the same load, summarised as medians with ranges. */
  static String repeated(int runs, java.util.function.Supplier<Hey> one) {
    List<Double> rps = new ArrayList<>();
    List<Double> p50 = new ArrayList<>();
    List<Double> p99 = new ArrayList<>();
    long ok = 0;
    long failed = 0;
    for (int i = 0; i < runs; i++) {
      Hey h = one.get();
      rps.add(h.requestsPerSecond());
      p50.add(h.p50ms());
      p99.add(h.p99ms());
      ok += h.ok();
      failed += h.failed();
    }
    Stats r = Stats.of(rps);
    Stats l50 = Stats.of(p50);
    Stats l99 = Stats.of(p99);
    return String.format("%,.0f req/s (%,.0f–%,.0f), p50 %.1f ms, p99 %.1f ms (%.1f–%.1f), %d ok, %d failed, n=%d",
        r.median(), r.min(), r.max(), l50.median(), l99.median(), l99.min(), l99.max(), ok, failed, runs);
  }

  String row() {
    return String.format("%,.0f req/s, p50 %.2f ms, p99 %.2f ms, %d ok, %d failed", requestsPerSecond, p50ms, p99ms, ok, failed);
  }
}
