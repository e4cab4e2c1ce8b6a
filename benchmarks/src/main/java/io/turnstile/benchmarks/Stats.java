package io.turnstile.benchmarks;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Supplier;

/** Min, median and max of repeated measurements. */
record Stats(double min, double median, double max, int n) {
  static Stats of(List<Double> values) {
    List<Double> v = new ArrayList<>(values);
    Collections.sort(v);
    int n = v.size();
    double median = n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    return new Stats(v.get(0), median, v.get(n - 1), n);
  }

  /** Of {@code runs} measurements taken one after another. */
  static Stats of(int runs, Supplier<Double> measure) {
    List<Double> values = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      values.add(measure.get());
    }
    return of(values);
  }

  /**
   * The {@code p}th percentile by nearest rank: the smallest value with at least {@code p} % of the
   * values at or below it (of 100 values, p99 is the second largest; of 10, the largest).
   */
  static double percentile(List<Double> values, double p) {
    List<Double> v = new ArrayList<>(values);
    Collections.sort(v);
    int rank = (int) Math.ceil(p / 100 * v.size());
    return v.get(Math.max(0, rank - 1));
  }

  String format(String unit, String pattern) {
    return String.format(pattern, median) + " " + unit + " (min " + String.format(pattern, min) + ", max "
        + String.format(pattern, max) + ", n=" + n + ")";
  }
}
